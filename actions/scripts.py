"""Actions that send the Client Toolkit's pause-contract scripts and help link."""

from __future__ import annotations

import abc
from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from toolkit import names
from toolkit.served import get_library


class SendToolkitScript(Action, abc.ABC):
    """Sends one script of the macro library, its "click here" made a link."""

    @property
    @abc.abstractmethod
    def resource_id(self) -> str:
        """Id of the script in the macro library."""

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        resource = get_library().resource(self.resource_id)
        dispatcher.utter_message(
            response=names.UTTER_TOOLKIT_SCRIPT,
            script=resource.render_markdown(),
            toolkit_resource=resource.id,  # kept in the bot event's metadata for agents
        )
        link_url = resource.link.url if resource.link else None
        return [SlotSet(names.SLOT_SCRIPT_SENT, resource.id), SlotSet(names.SLOT_LINK_SENT, link_url)]


class ActionSendConcernScript(SendToolkitScript):
    resource_id = names.RESOURCE_CONCERN_SCRIPT

    def name(self) -> str:
        return names.ACTION_SEND_CONCERN_SCRIPT


class ActionSendWhatIfScript(SendToolkitScript):
    resource_id = names.RESOURCE_WHAT_IF_SCRIPT

    def name(self) -> str:
        return names.ACTION_SEND_WHAT_IF_SCRIPT


class ActionSendPauseLink(Action):
    """Answers "how do I pause?" with the help article, not with a concern script."""

    def name(self) -> str:
        return names.ACTION_SEND_PAUSE_LINK

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        link = get_library().links[names.LINK_PAUSE_HOURLY]
        dispatcher.utter_message(response=names.UTTER_PAUSE_LINK, link_title=link.title, link_url=link.url)
        return [SlotSet(names.SLOT_LINK_SENT, link.url)]
