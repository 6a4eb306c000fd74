"""The rules of two-step verification, apart from the web layer.

Nothing in this package imports Flask's request, session or templates: views
call these functions with plain values, tests call them directly, and a
future API could too. See the README's "How the code is laid out" for the map.
"""
