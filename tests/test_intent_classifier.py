"""spacy_pipeline/intent_classifier.py: the classifier's input is exactly Rasa's, built faster."""

from __future__ import annotations

import numpy as np
import pytest
from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, FEATURE_TYPE_SEQUENCE, INTENT, TEXT
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from scipy.sparse import coo_matrix, csr_matrix

from spacy_pipeline.intent_classifier import LogisticRegressionIntentClassifier

rng = np.random.default_rng(7)


def sparse(rows: int, columns: int, dtype) -> coo_matrix:
    values = (rng.random((rows, columns)) < 0.3) * rng.integers(1, 5, (rows, columns))
    return coo_matrix(values.astype(dtype))


def message(text: str, featurizers, dense_columns: int = 0, tokens: int = 4) -> Message:
    """A message with the features featurizers put on it: sequence and sentence, per featurizer."""
    msg = Message(data={TEXT: text, INTENT: "greet"})
    for origin, columns, dtype in featurizers:
        msg.add_features(Features(sparse(tokens, columns, dtype), FEATURE_TYPE_SEQUENCE, TEXT, origin))
        msg.add_features(Features(sparse(1, columns, dtype), FEATURE_TYPE_SENTENCE, TEXT, origin))
    if dense_columns:
        msg.add_features(Features(rng.random((1, dense_columns)), FEATURE_TYPE_SENTENCE, TEXT, "dense"))
        msg.add_features(Features(rng.random((tokens, dense_columns)), FEATURE_TYPE_SEQUENCE, TEXT, "dense"))
    # features of another attribute never count
    msg.add_features(Features(sparse(1, 3, np.int64), FEATURE_TYPE_SENTENCE, INTENT, "intent"))
    return msg


OURS = [("regex", 5, np.float64), ("words", 40, np.int64), ("chars", 90, np.int64)]


def rasas(messages):
    return LogisticRegressionClassifier._create_X(None, messages)


def ours(messages):
    return LogisticRegressionIntentClassifier._create_X(None, messages)


@pytest.mark.parametrize("dense_columns", [0, 6], ids=["sparse-only", "with-dense"])
def test_the_input_matrix_is_rasas_cell_for_cell(dense_columns):
    messages = [message(f"message {i}", OURS, dense_columns, tokens=i % 5 + 1) for i in range(12)]
    expected, built = rasas(messages), ours(messages)
    assert built.shape == expected.shape == (12, 135 + dense_columns)
    assert built.dtype == expected.dtype
    assert (csr_matrix(expected) != built).nnz == 0


def test_one_featurizer_alone_gives_rasas_matrix_too():
    messages = [message("hi", [("words", 7, np.int64)])]
    expected, built = rasas(messages), ours(messages)
    assert built.dtype == expected.dtype == np.float64
    assert (csr_matrix(expected) != built).nnz == 0


def test_the_same_predictions_come_out_of_a_model_trained_on_either():
    from sklearn.linear_model import LogisticRegression

    messages = [message(f"m{i}", OURS) for i in range(40)]
    labels = [("pause", "concern", "hi")[i % 3] for i in range(40)]
    trained_on_rasas = LogisticRegression(max_iter=500, random_state=7).fit(rasas(messages), labels)
    trained_on_ours = LogisticRegression(max_iter=500, random_state=7).fit(ours(messages), labels)
    new = [message("new", OURS) for _ in range(5)]
    assert np.array_equal(trained_on_rasas.predict_proba(rasas(new)), trained_on_ours.predict_proba(ours(new)))
