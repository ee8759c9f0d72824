"""The soak run: many buyers and suppliers through whole disputes while a real bot process is
killed with SIGKILL at random moments and started again. Every case must finish, its history
must hold no event twice (and its hash chain verify), every outbox row must be sent or given up
with a reason, and no news may reach a chat twice.

`python -m tests.soak --buyers 20 --kills 30 --seed 7 [--database postgresql]` runs it by hand;
`tests/e2e/test_soak.py` runs a short form in CI and the full one with `DISPUTEBOT_SOAK=full`.
"""
