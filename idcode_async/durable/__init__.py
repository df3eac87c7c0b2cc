"""The durable half of the exactly-once workflows (309 registration, 5011–5014 uploads).

``durable.sqlite`` holds what both local stores (the batch journal, the upload manifest) need
from SQLite: a run lock per file identity, a refusal of foreign files before anything is
written, WAL with a durable ``synchronous`` level and ``BEGIN IMMEDIATE`` transactions.
"""
