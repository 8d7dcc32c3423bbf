"""Custom actions through Rasa's ``RemoteAction``: replies checked faster, a calm face when the server is down.

1. **The reply check built once.** Rasa validates every custom action's reply
   against its JSON schema with ``jsonschema.validate``, which checks the
   (constant) schema itself against the meta-schema on every call: tens of ms
   on each turn that runs a custom action. Here the validator is built once;
   the reply is checked against the same schema, and an invalid reply fails
   the same way, with Rasa's own error. (tests/test_rasa_server.py)
2. **The action server being down.** Rasa OSS has no hook for this: its
   ``RemoteAction`` raises, the processor logs the error and drops the
   action's events, and the client gets nothing. ``ResilientRemoteAction``
   (put in its place in ``rasa.core.actions.action``, where Rasa makes custom
   actions) runs the hand-over here, in the Rasa server, with rasa-sdk's own
   executor over the same action package, so a client who asks for a person
   is still handed over and the record still stored; any other custom action
   answers ``utter_service_unavailable``. Each call tries the action server
   first, so service is back to normal as soon as the action server is.
   (tests/test_reliability.py)
"""

from __future__ import annotations

import logging
from typing import Any, Dict, Optional

from toolkit import names

logger = logging.getLogger(__name__)

ACTIONS_PACKAGE = "actions"  # what the action server runs (`rasa run actions --actions actions`)
RUN_HERE_WHEN_DOWN = frozenset({names.ACTION_HAND_OVER})


def install_validator_built_once() -> None:
    """RemoteAction checks replies with a validator built once for its constant schema."""
    from jsonschema import exceptions, validators
    from rasa.core.actions.action import RemoteAction

    schema = RemoteAction.action_response_format_spec()
    cls = validators.validator_for(schema)
    cls.check_schema(schema)  # once, instead of on every action call
    validator = cls(schema)
    rasa_validate = RemoteAction._validate_action_result

    def validate_action_result(self: RemoteAction, result: Dict[str, Any]) -> bool:
        if exceptions.best_match(validator.iter_errors(result)) is None:
            return True
        return rasa_validate(self, result)  # invalid (rare): Rasa's own error and explanation

    RemoteAction._validate_action_result = validate_action_result


def install_action_fallback() -> None:
    """Rasa makes custom actions as ``ResilientRemoteAction`` (see the module)."""
    from rasa.core.actions import action as rasa_action

    if getattr(rasa_action.RemoteAction, "resilient", False):
        return
    rasa_action.RemoteAction = _resilient_remote_action_class(rasa_action.RemoteAction)


def _action_server_unreachable(error: BaseException) -> bool:
    import asyncio

    import aiohttp

    seen: Optional[BaseException] = error
    while seen is not None:
        if isinstance(seen, aiohttp.ClientConnectionError | asyncio.TimeoutError):
            return True
        if isinstance(seen, aiohttp.ClientResponseError) and seen.status >= 500:
            return True
        seen = seen.__cause__ or seen.__context__
    return False


_executor: Any = None


def _local_executor() -> Any:
    """rasa-sdk's executor over the action package, made on first need."""
    global _executor
    if _executor is None:
        from rasa_sdk.executor import ActionExecutor

        executor = ActionExecutor()
        executor.register_package(ACTIONS_PACKAGE)
        _executor = executor
    return _executor


def _resilient_remote_action_class(base: type) -> type:
    from rasa.shared.exceptions import RasaException

    class ResilientRemoteAction(base):
        resilient = True

        async def run(self, output_channel, nlg, tracker, domain):  # noqa: ANN001
            try:
                return await super().run(output_channel, nlg, tracker, domain)
            except RasaException as e:
                if not _action_server_unreachable(e):
                    raise
                if self.name() in RUN_HERE_WHEN_DOWN:
                    logger.error("the action server is unreachable: running '%s' in the Rasa server", self.name())
                    return await self._run_here(output_channel, nlg, tracker, domain)
                logger.error("the action server is unreachable: '%s' answered with a calm reply", self.name())
                return await self._utter_responses(
                    [{"response": names.UTTER_SERVICE_UNAVAILABLE}], output_channel, nlg, tracker
                )

        async def _run_here(self, output_channel, nlg, tracker, domain):  # noqa: ANN001
            from rasa.shared.core import events
            from rasa.shared.core.trackers import EventVerbosity

            call = {
                "next_action": self.name(),
                "sender_id": tracker.sender_id,
                "tracker": tracker.current_state(EventVerbosity.ALL),
                "domain": domain.as_dict(),
            }
            answer = await _local_executor().run(call) or {}
            said = await self._utter_responses(answer.get("responses", []), output_channel, nlg, tracker)
            return said + events.deserialise_events(answer.get("events", []))

    return ResilientRemoteAction
