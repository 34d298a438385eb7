// Package redact removes personal data from text before it leaves the
// process or reaches storage: card numbers (Luhn-checked, any spacing or
// dashes) are masked to their last four digits; IBANs, email addresses and
// phone numbers are replaced by placeholders before text goes to an LLM.
package redact

import (
	"math/big"
	"regexp"
	"strings"
)

// Placeholders that replace redacted data.
const (
	Email = "[email]"
	Phone = "[phone]"
	IBAN  = "[iban]"
)

// Cards replaces card numbers (13–19 digits, optionally grouped by single
// spaces or dashes, passing the Luhn check) with "•••• " and their last four
// digits.
func Cards(s string) string {
	var out strings.Builder
	i := 0
	for i < len(s) {
		if !isDigit(s[i]) || (i > 0 && isDigit(s[i-1])) {
			out.WriteByte(s[i])
			i++
			continue
		}
		// Take a run of digits with single separators between them.
		j, digits := i, make([]byte, 0, 19)
		end := i
		for j < len(s) {
			if isDigit(s[j]) {
				digits = append(digits, s[j])
				j++
				end = j
				continue
			}
			if (s[j] == ' ' || s[j] == '-') && j+1 < len(s) && isDigit(s[j+1]) && len(digits) > 0 {
				j++
				continue
			}
			break
		}
		if len(digits) >= 13 && len(digits) <= 19 && luhn(digits) {
			out.WriteString("•••• " + string(digits[len(digits)-4:]))
		} else {
			out.WriteString(s[i:end])
		}
		i = end
	}
	return out.String()
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func luhn(digits []byte) bool {
	sum, double := 0, false
	for k := len(digits) - 1; k >= 0; k-- {
		d := int(digits[k] - '0')
		if double {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return sum%10 == 0
}

var (
	emailRE = regexp.MustCompile(`(?i)[a-z0-9._%+\-]+@[a-z0-9.\-]+\.[a-z]{2,}`)
	ibanRE  = regexp.MustCompile(`(?i)\b[a-z]{2}[0-9]{2}(?:[ ]?[a-z0-9]){11,30}\b`)
	phoneRE = regexp.MustCompile(`\+?\(?[0-9][0-9 ().\-/]{5,}[0-9]`)
	dateRE  = regexp.MustCompile(`^(?:\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4})$`)
)

// All redacts card numbers, IBANs, email addresses and phone numbers: what
// must never reach a third party such as an LLM provider.
func All(s string) string {
	s = Cards(s)
	s = emailRE.ReplaceAllString(s, Email)
	s = ibanRE.ReplaceAllStringFunc(s, func(m string) string {
		if validIBAN(m) {
			return IBAN
		}
		return m
	})
	s = phoneRE.ReplaceAllStringFunc(s, func(m string) string {
		n := 0
		for i := 0; i < len(m); i++ {
			if isDigit(m[i]) {
				n++
			}
		}
		if n < 7 || n > 15 || dateRE.MatchString(strings.TrimSpace(m)) {
			return m
		}
		return Phone
	})
	return s
}

// validIBAN checks the ISO 13616 mod-97 checksum.
func validIBAN(s string) bool {
	s = strings.ToUpper(strings.ReplaceAll(s, " ", ""))
	if len(s) < 15 || len(s) > 34 {
		return false
	}
	rearranged := s[4:] + s[:4]
	var num strings.Builder
	for _, r := range rearranged {
		switch {
		case r >= '0' && r <= '9':
			num.WriteRune(r)
		case r >= 'A' && r <= 'Z':
			num.WriteString(big.NewInt(int64(r - 'A' + 10)).String())
		default:
			return false
		}
	}
	n, ok := new(big.Int).SetString(num.String(), 10)
	return ok && new(big.Int).Mod(n, big.NewInt(97)).Int64() == 1
}
