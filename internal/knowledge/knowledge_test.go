package knowledge_test

import (
	"testing"

	"github.com/tandem-desk/tandem/internal/knowledge"
	"github.com/tandem-desk/tandem/internal/model"
)

func articles() []*model.Article {
	return []*model.Article{
		{ID: 1, Title: "When will my card arrive?", Body: "Cards are delivered within 5 working days of ordering.", Language: "en", Published: true},
		{ID: 2, Title: "How do refunds work?", Body: "When a store refunds a purchase, the refunded amount is taken off your plan.", Language: "en", Published: true},
		{ID: 3, Title: "Draft about card fees", Body: "Unpublished card draft.", Language: "en", Published: false},
		{ID: 4, Title: "Hur fungerar återbetalningar?", Body: "När en butik gör en återbetalning dras beloppet av från din plan.", Language: "sv", Published: true},
	}
}

func TestSearchRanksTheMatchingArticleFirst(t *testing.T) {
	idx := knowledge.NewIndex(articles())
	if idx.Len() != 3 {
		t.Fatalf("Len = %d, want 3 (drafts are not indexed)", idx.Len())
	}
	tests := []struct {
		query, lang string
		want        int64
	}{
		{"my card has not arrived yet", "", 1},
		{"I was refunded by the store, how does that work", "", 2},
		{"REFUNDING a purchase", "en", 2},
		{"återbetalning", "sv", 4},
	}
	for _, tc := range tests {
		hits := idx.Search(tc.query, tc.lang, 3)
		if len(hits) == 0 || hits[0].Article.ID != tc.want {
			t.Errorf("Search(%q) top = %v, want article %d", tc.query, hits, tc.want)
		}
	}
}

func TestSearchCoverage(t *testing.T) {
	idx := knowledge.NewIndex(articles())
	full := idx.Search("card arrive", "", 1)
	if len(full) != 1 || full[0].Coverage < 0.99 || full[0].Matched != 2 {
		t.Fatalf("every query term matched: got %+v", full)
	}
	part := idx.Search("card pizza", "", 1)
	if len(part) != 1 || part[0].Coverage >= full[0].Coverage {
		t.Fatalf("half the query unmatched should lower coverage: got %+v", part)
	}
	if hits := idx.Search("the and of", "", 3); hits != nil {
		t.Fatalf("stop words alone should match nothing, got %v", hits)
	}
	if hits := idx.Search("weather poem", "", 3); len(hits) != 0 {
		t.Fatalf("unrelated words should match nothing, got %v", hits)
	}
}

func TestTermsStemsAndDropsStopWords(t *testing.T) {
	got := knowledge.Terms("The refunds were REFUNDED, refunding boxes!")
	want := []string{"refund", "refund", "refund", "box"}
	if len(got) != len(want) {
		t.Fatalf("Terms = %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("Terms = %v, want %v", got, want)
		}
	}
}
