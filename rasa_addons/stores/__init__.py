"""Tracker stores, lock store and event brokers that endpoints.yml names."""
