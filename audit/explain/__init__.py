"""Explainability: SHAP values on a bounded sample, globally and per sensitive group.

Never on the full data: :func:`explain` draws at most ``sample_size`` rows of ``X`` without
replacement with ``numpy.random.default_rng(seed)`` (kept in their original order), and a fixed
background of ``background_size`` rows with the same generator. The same inputs and seed give
identical values.

The explainer follows the model (``algorithm="auto"``):

* a tree ensemble on numeric inputs (scikit-learn trees, forests, gradient boosting,
  HistGradientBoosting; xgboost and lightgbm when installed): ``shap.TreeExplainer``,
  interventional, against the background, in the probability of the positive class
  (``output="proba"``) or the raw margin (``output="decision"``);
* a linear model on numeric inputs (LogisticRegression, LinearRegression, Ridge, ...):
  ``shap.LinearExplainer`` against the background, in the margin (log-odds for a classifier:
  SHAP values of a probability are not linear);
* anything else, including scikit-learn pipelines with preprocessing and string or categorical
  columns: ``shap.PermutationExplainer`` on the *original* columns against the background
  (antithetic permutations, exactly additive for every row). Columns are passed to shap as
  numeric codes and decoded back into a DataFrame with the original dtypes before each call of
  the model, so the model always sees what it was trained on.

shap calls the model once per explained row; fairgate records those calls and scores them in a
few large batches, which gives exactly shap's values at a fraction of a pipeline's per-call cost.

Under ``algorithm="auto"``, a pipeline whose permutation explanation would score more than
``max_model_rows`` rows, and whose steps are one ColumnTransformer and a tree model, takes the
tree path below instead (about a hundred times cheaper on such a pipeline).

``algorithm="tree"`` or ``"linear"`` on a pipeline whose last step is such a model explains the
transformed columns and sums the values of a column's one-hot outputs back onto it (fast and
additive, but each one-hot output is masked on its own). Whatever the path, the values must add
up: ``base_value + values.sum(axis=1)`` equals the declared output on the explained rows within
1e-6 (relative for outputs above 1). Interventional TreeSHAP does not always add up on deep trees
(shap issue #3267), so a tree explanation that fails the check is redone with the path-dependent
algorithm in the raw margin, then with the permutation explainer; ``method`` says which ran.
"""

from fairgate.audit.explain.explanation import Explanation, explain

__all__ = ["Explanation", "explain"]
