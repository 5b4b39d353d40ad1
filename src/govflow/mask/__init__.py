"""Masking operators and key handling."""
