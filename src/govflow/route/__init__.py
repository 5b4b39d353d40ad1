"""Routing: one destination per record."""
