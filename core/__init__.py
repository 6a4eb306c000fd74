"""The ground floor: what every layer may use, and which uses nothing of ours above it.

The clock the rules read, browser-held tokens, message ids and the one
`Refused` base for every refusal, phone numbers (read, format, mask) and the
translation catalogs. No Flask, no database: tests/test_layers.py checks it.
"""
