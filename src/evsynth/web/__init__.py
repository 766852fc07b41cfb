"""The team web application (Django): the whole review in a browser.

It holds no review logic of its own: imports, deduplication, screening rules, PRISMA counts,
pooling and documents come from the same functions as the command line. What lives here is what
only a team server needs: accounts, membership roles, permissions, the audit trail and jobs.
"""
