package desk

import "github.com/tandem-desk/tandem/internal/redact"

// maskCardNumbers replaces card numbers (13–19 digits, optionally grouped by
// spaces or dashes, passing the Luhn check) with their last four digits, so
// no full PAN is ever stored.
func maskCardNumbers(s string) string { return redact.Cards(s) }
