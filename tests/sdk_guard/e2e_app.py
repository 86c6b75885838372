"""A small FastAPI shop, unaware of the guard; run as a script it serves three requests
in-process and exits (used under ``opentelemetry-instrument`` by the end-to-end test)."""

from __future__ import annotations

from fastapi import FastAPI
from opentelemetry import trace

app = FastAPI()


@app.get("/items/{item_id}")
def read_item(item_id: int) -> dict[str, int]:
    trace.get_current_span().set_attribute("shop.internal.cache_key", f"item-{item_id}")
    return {"item_id": item_id}


if __name__ == "__main__":
    from fastapi.testclient import TestClient

    client = TestClient(app)
    for item in range(3):
        assert client.get(f"/items/{item}").status_code == 200
