package triage

import (
	_ "embed"
	"strings"
)

// Out-of-scope negatives used in training (see models/README.md for their
// sources and licences):
//   - models/offtopic_train.txt: hand-written off-topic requests (weather,
//     poems, sport, recipes, trivia, small talk, …);
//   - models/goemotions_negatives.txt: GoEmotions Reddit comments
//     (Apache-2.0), filtered to drop money and banking words, shuffled.
//
// models/offtopic_eval.txt holds other hand-written off-topic requests that
// are never trained on; Evaluate and CrossValidate judge rejection with them.

//go:embed models/offtopic_train.txt
var offTopicTrainFile string

//go:embed models/goemotions_negatives.txt
var redditNegativesFile string

//go:embed models/offtopic_eval.txt
var offTopicEvalFile string

func lines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	return out
}

// defaultNegativeSets returns the hand-written off-topic requests and the
// first maxReddit Reddit comments (the file is already shuffled, so the
// sample is fixed; seed is reserved for future resampling).
func defaultNegativeSets(maxReddit int, seed int64) (requests, reddit []string) {
	_ = seed
	requests = lines(offTopicTrainFile)
	reddit = lines(redditNegativesFile)
	if maxReddit >= 0 && maxReddit < len(reddit) {
		reddit = reddit[:maxReddit]
	}
	return requests, reddit
}

func defaultNegatives(maxReddit int, seed int64) []string {
	r, c := defaultNegativeSets(maxReddit, seed)
	return append(r, c...)
}

// heldOutOffTopic returns the off-topic requests kept for evaluation only.
func heldOutOffTopic() []string { return lines(offTopicEvalFile) }
