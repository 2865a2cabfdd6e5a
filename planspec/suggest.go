package planspec

import (
	"strings"
)

// closest returns the candidate nearest to s by Damerau-Levenshtein distance
// (optimal string alignment, case-insensitive), if it is close enough to be
// a plausible typo: at most 2 edits, or a third of s's length for long names.
func closest(s string, candidates []string) (string, bool) {
	best, bestD := "", -1
	ls := strings.ToLower(s)
	for _, c := range candidates {
		d := editDistance(ls, strings.ToLower(c))
		if bestD < 0 || d < bestD {
			best, bestD = c, d
		}
	}
	if bestD < 0 {
		return "", false
	}
	limit := max(2, len([]rune(s))/3)
	if bestD > limit || bestD >= len([]rune(best)) {
		return "", false
	}
	return best, true
}

// EditDistance is the optimal-string-alignment distance between a and b:
// insertions, deletions, substitutions and transpositions of adjacent runes
// each cost 1. Other parsers of the project use it for their "did you mean"
// hints.
func EditDistance(a, b string) int { return editDistance(a, b) }

// editDistance is the optimal-string-alignment distance between a and b:
// insertions, deletions, substitutions and transpositions of adjacent runes
// each cost 1.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	// Three rolling rows: two back (for transpositions), previous, current.
	prev2 := make([]int, len(rb)+1)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}

// didYouMean formats a hint for an unknown name: "; did you mean `x`?" when
// a candidate is close, else " (valid: a, b, c)" with the given noun.
func didYouMean(s string, candidates []string, noun string) string {
	if c, ok := closest(s, candidates); ok {
		return "; did you mean `" + c + "`?"
	}
	return " (" + noun + ": " + strings.Join(candidates, ", ") + ")"
}
