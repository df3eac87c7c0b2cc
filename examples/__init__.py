"""Web-framework integrations of idcode-async (FastAPI, aiohttp); see ``examples/README.md``.

A package, so that ``uvicorn examples.fastapi_app:app`` and ``python -m examples.aiohttp_app``
run from the repository root and the tests import the apps they exercise.
"""
