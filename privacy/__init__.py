"""Masking of personal data (e-mail addresses, phone numbers, card numbers)."""
