"""The durable half of the exactly-once workflows (309 registration, 5011–5014 uploads): the
engine (:mod:`.engine`, :mod:`.outcome`), the store contract (:mod:`.store`) and the local
SQLite store (:mod:`.sqlite`)."""
