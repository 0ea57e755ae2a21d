"""A toy step, as a newcomer would add one (docs/architecture.md): it counts the words written in
capitals. One module; one line in pipeline.core.STEPS puts it in the pipeline."""
import pyarrow as pa

from pipeline.step import Counts, Show, Step, Total


def _apply(doc, config):
    loud = [w for w in doc.words() if len(w) > 1 and w.isupper()]
    return {"shouted_words": len(loud)}


STEP = Step(
    name="shouting", version="shouting-1", apply=_apply,
    columns=(pa.field("shouted_words", pa.int32(), nullable=False),),
    stats=(Total("loud_documents", "shouted_words", "positive", "documents that shout"),
           Counts("loudness", "shouted_words")),
    report=(Show("bars", "shouted_words", "Shouted words per document"),),
)
