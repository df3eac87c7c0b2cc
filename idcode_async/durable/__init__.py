"""The durable half of the exactly-once workflows (309 registration, 5011–5014 uploads).

``durable.sqlite`` is the one local store under both (the batch journal, the upload manifest):
one item table for every kind, a run lock per file identity, a refusal of foreign files before
anything is written, WAL with a durable ``synchronous`` level and ``BEGIN IMMEDIATE``
transactions.
"""
