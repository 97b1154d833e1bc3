"""The native API's OpenAPI schema shows an example of every request body and of the main answers, and each
example is one the API itself would accept (or give)."""

from __future__ import annotations

import importlib
import pkgutil
from types import SimpleNamespace
from typing import Any

import pytest
from fastapi.routing import APIRoute
from pydantic import BaseModel

from mailyard.web import api
from mailyard.web.app import WebOptions, create_app

#: the answers a newcomer reads first, with an example each
MAIN_ANSWERS = [
    ("get", "/v1/statistics"),
    ("get", "/v1/suppressions"),
    ("get", "/v1/tasks/{task_id}/engagement"),
    ("get", "/v1/tasks/{task_id}"),
    ("get", "/v1/tasks"),
    ("post", "/v1/tasks"),
    ("get", "/v1/lists"),
    ("get", "/v1/lists/{list_id}"),
]


def built_app() -> Any:
    no_services = SimpleNamespace(access=SimpleNamespace(lookup_secret=None))
    return create_app(no_services, WebOptions(), doors=())  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return built_app().openapi()


def has_example(document: dict[str, Any], media: dict[str, Any]) -> bool:
    if "example" in media or "examples" in media:
        return True
    schema = media.get("schema", {})
    if "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return bool(schema.get("example") or schema.get("examples"))


def test_every_request_body_has_an_example(document: dict[str, Any]) -> None:
    missing = [
        f"{method.upper()} {path} ({content_type})"
        for path, operations in document["paths"].items()
        if path.startswith("/v1/")
        for method, operation in operations.items()
        for content_type, media in operation.get("requestBody", {}).get("content", {}).items()
        if not has_example(document, media)
    ]
    assert not missing, missing
    assert any(
        path.startswith("/v1/") and "requestBody" in op
        for path, ops in document["paths"].items()
        for op in ops.values()
    )


def test_the_main_answers_have_examples(document: dict[str, Any]) -> None:
    for method, path in MAIN_ANSWERS:
        responses = document["paths"][path][method]["responses"]
        success = next(answer for status, answer in responses.items() if status.startswith("2"))
        assert has_example(document, success["content"]["application/json"]), (method, path)
    task_example = document["components"]["schemas"]["TaskIn"]["examples"][0]
    assert task_example["unsubscribe"] == "en"  # the task's unsubscribe option is shown


def test_the_csv_export_is_declared_as_csv(document: dict[str, Any]) -> None:
    answer = document["paths"]["/v1/lists/{list_id}/recipients.csv"]["get"]["responses"]["200"]
    assert list(answer["content"]) == ["text/csv"]
    assert answer["content"]["text/csv"]["example"].startswith("email,variables\n")


def test_every_example_is_valid_for_its_model() -> None:
    models: set[type[BaseModel]] = set()
    routes = [
        route
        for info in pkgutil.iter_modules(api.__path__, "mailyard.web.api.")
        if info.name.rsplit(".", 1)[1].startswith("routes_")
        for route in importlib.import_module(info.name).router.routes
    ]
    for route in routes:
        if isinstance(route, APIRoute):
            body = route.body_field.field_info.annotation if route.body_field is not None else None
            for candidate in (body, route.response_model):
                if isinstance(candidate, type) and issubclass(candidate, BaseModel):
                    models.add(candidate)
    checked = 0
    for model in models:
        extra = model.model_config.get("json_schema_extra")
        for example in extra.get("examples", []) if isinstance(extra, dict) else []:
            assert set(example) <= set(model.model_fields), (model.__name__, set(example) - set(model.model_fields))
            model.model_validate(example)
            checked += 1
    assert checked >= 15
