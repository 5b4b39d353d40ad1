"""Does a join on tokenised e-mails give the same counts as the same join on raw e-mails?

Customers and orders are governed separately (as two pipelines or two days would); the external
customers are joined with the orders on the raw column and on the tokenised column. Run:
`GOVFLOW_KEY=… PYTHONPATH=src .venv/bin/python benchmarks/token_join.py [--rows 2000]`.
"""

from __future__ import annotations

import argparse

import pyarrow as pa
import pyarrow.compute as pc

import govflow
from govflow.datagen import generate_customers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--orders", type=int, default=5000)
    args = parser.parse_args()

    customers, _ = generate_customers(args.rows, seed=0)
    customers = customers.select(["email", "country", "order_id"])
    emails = customers.column("email").to_pylist()
    orders = pa.table(
        {"email": [emails[(i * 7) % args.rows] for i in range(args.orders)], "amount": list(range(args.orders))}
    )
    pipe = govflow.Pipeline.default()
    governed = pipe.run(customers)
    external = governed.audit.filter(pc.equal(governed.audit.column("route"), "external")).column("record_index")
    raw = customers.take(external).join(orders, "email").num_rows
    masked_orders = pipe.run(orders).routes["external"].select(["email", "amount"])
    tokenised = governed.routes["external"].select(["email"]).join(masked_orders, "email").num_rows
    print(f"external customers: {len(external):,} of {args.rows:,}; orders: {args.orders:,}")
    print(f"join rows on raw e-mail:       {raw:,}")
    print(f"join rows on tokenised e-mail: {tokenised:,}  ({'same' if raw == tokenised else 'DIFFERENT'})")


if __name__ == "__main__":
    main()
