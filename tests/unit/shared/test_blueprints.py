"""shared.blueprints: a schema class given to ``@blp.arguments`` is built once and serves
every request, in every thread, with the same answers as a schema built per request."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any, ClassVar

import marshmallow as ma
from flask import Flask
from flask.views import MethodView
from flask_smorest import Api

from shared.blueprints import Blueprint


class CountedQuery(ma.Schema):
    built: ClassVar[int] = 0
    limit = ma.fields.Integer(required=True, validate=ma.validate.Range(min=1, max=100))
    name = ma.fields.String(load_default="nobody")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        type(self).built += 1


def make_app() -> Flask:
    app = Flask(__name__)
    app.config.update(API_TITLE="t", API_VERSION="1", OPENAPI_VERSION="3.0.3", TESTING=True)
    api = Api(app)
    blp = Blueprint("things", __name__)

    @blp.route("/things")
    class Things(MethodView):
        @blp.arguments(CountedQuery, location="query")
        def get(self, query: dict[str, Any]) -> dict[str, Any]:
            return {"limit": query["limit"], "name": query["name"]}

    api.register_blueprint(blp)
    return app


def test_a_schema_class_is_built_once_for_every_request() -> None:
    app = make_app()
    built_at_start = CountedQuery.built
    client = app.test_client()
    for limit in range(1, 21):
        answer = client.get(f"/things?limit={limit}&name=n{limit}")
        assert answer.status_code == 200
        assert answer.json == {"limit": limit, "name": f"n{limit}"}
    assert CountedQuery.built - built_at_start == 1


def test_the_kept_schema_still_refuses_bad_arguments_field_by_field() -> None:
    client = make_app().test_client()
    assert client.get("/things?limit=5").json == {"limit": 5, "name": "nobody"}
    refused = client.get("/things?limit=0")
    assert refused.status_code == 422
    assert "limit" in refused.json["errors"]["query"]
    missing = client.get("/things")
    assert missing.status_code == 422
    assert "limit" in missing.json["errors"]["query"]
    # and a good request after the refusals is answered as before
    assert client.get("/things?limit=7&name=x").json == {"limit": 7, "name": "x"}


def test_one_schema_serves_concurrent_threads_each_their_own_arguments() -> None:
    app = make_app()

    def ask(limit: int) -> tuple[int, Any]:
        with app.test_client() as client:
            answer = client.get(f"/things?limit={limit}&name=t{limit}")
            return answer.status_code, answer.json

    limits = [1 + n % 100 for n in range(400)]
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(ask, limits))
    assert answers == [(200, {"limit": n, "name": f"t{n}"}) for n in limits]
