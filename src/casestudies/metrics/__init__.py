"""Metrics for the three case studies (numpy/torch, no notebook code)."""
