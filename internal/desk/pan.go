package desk

import "strings"

// maskCardNumbers replaces card numbers (13–19 digits, optionally grouped by
// spaces or dashes, passing the Luhn check) with their last four digits, so
// no full PAN is ever stored.
func maskCardNumbers(s string) string {
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
