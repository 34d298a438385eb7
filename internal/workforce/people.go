package workforce

import (
	"fmt"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"
)

// MinPasswordLen is the shortest password a person may choose.
const MinPasswordLen = 10

// CheckPassword tells why a new password is not acceptable, or nil. Length
// is what makes a password hard to guess; no composition rules.
func CheckPassword(p string) error {
	if n := utf8.RuneCountInString(p); n < MinPasswordLen {
		return fmt.Errorf("must be at least %d characters (it is %d)", MinPasswordLen, n)
	}
	if len(p) > 72 {
		return fmt.Errorf("must be at most 72 bytes") // bcrypt reads no further
	}
	return nil
}

// CheckSlug tells why s is not a workspace slug (2–40 lowercase letters,
// digits and hyphens, starting with a letter or digit), or nil. Slugs appear
// in URLs (/join/{slug}) and in the widget's data-workspace.
func CheckSlug(s string) error {
	if len(s) < 2 || len(s) > 40 {
		return fmt.Errorf("must be 2 to 40 characters")
	}
	for i, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' && i > 0) {
			return fmt.Errorf("may hold only lowercase letters, digits and hyphens, starting with a letter or digit")
		}
	}
	return nil
}

// NormalizeEmail checks an email address and returns its lower-case form.
func NormalizeEmail(e string) (string, error) {
	e = strings.ToLower(strings.TrimSpace(e))
	addr, err := mail.ParseAddress(e)
	if err != nil || addr.Address != e || len(e) > 254 {
		return "", fmt.Errorf("%q is not an email address", e)
	}
	return e, nil
}

// Throttle limits sign-in attempts: after MaxPerAccount failures for one
// email, or MaxPerAddress from one client address, within Window, further
// attempts are refused until the oldest failure leaves the window. Per
// account stops guessing one password from many addresses; per address
// stops trying one password on many accounts.
type Throttle struct {
	Window        time.Duration
	MaxPerAccount int
	MaxPerAddress int
}

// DefaultThrottle: 5 failures per account, 20 per address, in 15 minutes.
var DefaultThrottle = Throttle{Window: 15 * time.Minute, MaxPerAccount: 5, MaxPerAddress: 20}

// Allows reports whether another attempt may be made given the failures
// counted in the window.
func (t Throttle) Allows(accountFailures, addressFailures int) bool {
	return accountFailures < t.MaxPerAccount && addressFailures < t.MaxPerAddress
}
