"""Knowledge-base answering (``--task answer``): see :mod:`.family`.

Modules: :mod:`.options` (typed options), :mod:`.kb` (the entries table),
:mod:`.lexical` (BM25, jieba words), :mod:`.dense` (encoder + faiss index),
:mod:`.fusion` (weighted fusion and its tuning), :mod:`.calibration` (confidence
and hand-over threshold), :mod:`.fit` (the training run), :mod:`.evaluation`
(hit@k, MRR, removed-entry hand-over), :mod:`.predictor` (answers, highlight,
save/load), :mod:`.api` (the ``answer`` REST action), :mod:`.report`.
Documents, knowledge findings and feedback live in sibling modules
(:mod:`.documents`, :mod:`.knowledge_findings`) when installed.

>>> from bizforge.families.answer import AnswerFamily
>>> AnswerFamily.name
'answer'
"""

from bizforge.families.answer.family import AnswerFamily
from bizforge.families.answer.kb import KnowledgeBase, read_kb
from bizforge.families.answer.options import AnswerOptions

__all__ = ["AnswerFamily", "AnswerOptions", "KnowledgeBase", "read_kb"]
