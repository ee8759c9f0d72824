"""The case rules: plain Python, no Telegram, no SQL.

States and legal transitions, deadlines and their default outcomes, claim validation and
money arithmetic. Everything here is deterministic and takes "now" as an argument.
"""
