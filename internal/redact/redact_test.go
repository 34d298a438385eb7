package redact_test

import (
	"strings"
	"testing"

	"github.com/tandem-desk/tandem/internal/redact"
)

func TestCards(t *testing.T) {
	tests := []struct{ in, want string }{
		{"my card 4111 1111 1111 1111 is blocked", "my card •••• 1111 is blocked"},
		{"4111-1111-1111-1111", "•••• 1111"},
		{"4111111111111111.", "•••• 1111."},
		{"5500 0000 0000 0004 and 4012888888881881", "•••• 0004 and •••• 1881"},
		{"order 1234567890123 (not Luhn)", "order 1234567890123 (not Luhn)"},
		{"I paid 120 EUR on 2024-05-01", "I paid 120 EUR on 2024-05-01"},
	}
	for _, tc := range tests {
		if got := redact.Cards(tc.in); got != tc.want {
			t.Errorf("Cards(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestAll(t *testing.T) {
	tests := []struct {
		in        string
		gone      []string
		kept      []string
		hasMarker string
	}{
		{in: "mail me at anna.svensson+pay@example.co.uk please", gone: []string{"anna.svensson", "example.co.uk"}, hasMarker: redact.Email},
		{in: "call +46 70 123 45 67 or (555) 123-4567", gone: []string{"123 45 67", "123-4567"}, hasMarker: redact.Phone},
		{in: "IBAN DE89 3704 0044 0532 0130 00, thanks", gone: []string{"3704 0044"}, hasMarker: redact.IBAN},
		{in: "IBAN GB82WEST12345698765432", gone: []string{"WEST1234"}, hasMarker: redact.IBAN},
		{in: "card 4111 1111 1111 1111", gone: []string{"4111 1111"}, kept: []string{"•••• 1111"}},
		{in: "I paid 49.99 EUR on 2024-05-01 for order ORD-2001, 3 instalments", kept: []string{"49.99", "2024-05-01", "ORD-2001", "3 instalments"}},
		{in: "due 01/06/2025, ref 12345", kept: []string{"01/06/2025", "12345"}},
	}
	for _, tc := range tests {
		got := redact.All(tc.in)
		for _, g := range tc.gone {
			if strings.Contains(got, g) {
				t.Errorf("All(%q) = %q still has %q", tc.in, got, g)
			}
		}
		for _, k := range tc.kept {
			if !strings.Contains(got, k) {
				t.Errorf("All(%q) = %q lost %q", tc.in, got, k)
			}
		}
		if tc.hasMarker != "" && !strings.Contains(got, tc.hasMarker) {
			t.Errorf("All(%q) = %q, want %s", tc.in, got, tc.hasMarker)
		}
	}
}
