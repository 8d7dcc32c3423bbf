"""Names of intents, slots, actions, responses and macros, spelled once.

Shared by the domain, the rules, the actions, the agent desk and the channels
(the domain and the data files spell them too).
"""

# intents
INTENT_CONCERN = "report_freelancer_concern"
INTENT_WHAT_IF = "ask_what_if"
INTENT_HOW_TO_PAUSE = "ask_how_to_pause"
INTENT_REQUEST_HUMAN = "request_human"
INTENT_OUT_OF_SCOPE = "out_of_scope"
INTENT_AFFIRM = "affirm"
INTENT_NLU_FALLBACK = "nlu_fallback"
INTENT_THANK = "thank"
INTENT_GOODBYE = "goodbye"

# What a client may have meant, in the order the clarifying buttons list them.
MEANING_INTENTS = (
    INTENT_CONCERN,
    INTENT_WHAT_IF,
    INTENT_HOW_TO_PAUSE,
    INTENT_OUT_OF_SCOPE,
)
# Intents that say what the conversation is about; a hand-over records the latest
# of them as its intent ("yes" or "a human please" is the reason, not the topic).
TOPIC_INTENTS = MEANING_INTENTS

# entities and slots
ENTITY_CONCERN = "concern"
ENTITY_CONTRACT_TYPE = "contract_type"
SLOT_CONCERN = "concern"
SLOT_CONTRACT_TYPE = "contract_type"
SLOT_SCRIPT_SENT = "script_sent"
SLOT_LINK_SENT = "link_sent"
SLOT_HANDOVER_ID = "handover_id"

# actions
ACTION_SEND_CONCERN_SCRIPT = "action_send_concern_script"
ACTION_SEND_WHAT_IF_SCRIPT = "action_send_what_if_script"
ACTION_SEND_PAUSE_LINK = "action_send_pause_link"
ACTION_HAND_OVER = "action_hand_over"
ACTION_CLARIFY_MEANING = "action_clarify_meaning"

# responses
UTTER_TOOLKIT_SCRIPT = "utter_toolkit_script"
UTTER_PAUSE_LINK = "utter_pause_link"
UTTER_HANDOVER = "utter_handover"  # agents online: one joins shortly ({position} in the queue)
UTTER_HANDOVER_NOBODY_ONLINE = "utter_handover_nobody_online"  # within hours, nobody at the desk
UTTER_HANDOVER_OUTSIDE_HOURS = "utter_handover_outside_hours"  # when the team is back
# every variant of the hand-over message: the channels mark each as the hand-over
HANDOVER_RESPONSES = (UTTER_HANDOVER, UTTER_HANDOVER_NOBODY_ONLINE, UTTER_HANDOVER_OUTSIDE_HOURS)
UTTER_ASK_WHICH_MEANING = "utter_ask_which_meaning"
UTTER_MEANING_PREFIX = "utter_meaning_"
# sent by the agent desk (desk/) or the Rasa server, not by an action
UTTER_AGENT_JOINED = "utter_agent_joined"
UTTER_HANDOVER_RESUMED = "utter_handover_resumed"
UTTER_HANDOVER_CLOSED = "utter_handover_closed"
UTTER_HANDOVER_TIMEOUT = "utter_handover_timeout"
UTTER_SERVICE_UNAVAILABLE = "utter_service_unavailable"

# macro library ids the assistant sends from
MACRO_CLIENT_TOOLKIT = "cs_client_toolkit"
RESOURCE_CONCERN_SCRIPT = "pause_script_specific_concern"
RESOURCE_WHAT_IF_SCRIPT = "pause_script_what_if"
LINK_PAUSE_HOURLY = "pause_hourly_contract"
