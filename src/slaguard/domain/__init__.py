"""The pure core of slaguard: calendars, policies, clocks and escalation decisions.

Nothing in this package reads the wall clock, the environment, files or the network:
instants are passed in. Of third-party code it uses numpy (vector time maths) and the
`holidays` data tables (see `public_holidays`).
"""
