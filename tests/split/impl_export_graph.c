/* tests/split: this file implements export and graph with every limit at its default. */
#define LLMSPELL_EXPORT_IMPLEMENTATION
#define LLMSPELL_GRAPH_IMPLEMENTATION
#include "llmspell_export.h"
#include "llmspell_graph.h"
