"""SQS queues: the ARN, and the URL that is also the queue's provider id."""

from __future__ import annotations

from typing import Any

from ..mocks import MockContext, autoname, outputs_for

autoname("aws:sqs/queue:Queue")


@outputs_for("aws:sqs/queue:Queue")
def _queue(ctx: MockContext) -> dict[str, Any]:
    name = ctx.inputs["name"]
    url = f"https://sqs.{ctx.region}.amazonaws.com/{ctx.account_id}/{name}"
    return {"__id": url, "arn": ctx.arn("sqs", name), "url": url}
