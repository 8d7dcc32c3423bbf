"""Rasa's RabbitMQ event broker, with client text masked before it is published.

Configured as the event broker's ``type: privacy.broker.MaskingPikaEventBroker``
(the launcher does this when masking is on); everything else is Rasa's own
``PikaEventBroker``.
"""

from __future__ import annotations

from typing import Any, Dict, Optional

from rasa.core.brokers.pika import PikaEventBroker

from privacy.masking import mask_event


class MaskingPikaEventBroker(PikaEventBroker):
    def publish(self, event: Dict[str, Any], headers: Optional[Dict[str, str]] = None) -> None:
        super().publish(mask_event(event), headers)
