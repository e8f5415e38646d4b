package report

import (
	"regexp"
	"strconv"
	"strings"
	"time"
)

// stamp is a date and/or time read at the start of a timeline entry.
type stamp struct {
	date    time.Time // midnight UTC; zero when there is no date
	tod     time.Duration
	hasTime bool
}

var (
	isoDate    = regexp.MustCompile(`^(\d{4})[-/](\d{1,2})[-/](\d{1,2})\b`)
	monthFirst = regexp.MustCompile(`^([A-Za-z]{3,9})\.?\s+(\d{1,2})(?:st|nd|rd|th)?\b(?:,?\s+(\d{4})\b)?`)
	dayFirst   = regexp.MustCompile(`^(\d{1,2})(?:st|nd|rd|th)?\s+([A-Za-z]{3,9})\.?(?:,?\s+(\d{4})\b)?`)
	weekday    = regexp.MustCompile(`(?i)^(?:mon|tues?|wed(?:nes)?|thu(?:rs)?|fri|sat(?:ur)?|sun)(?:day)?\.?,?\s+`)
	clockTime  = regexp.MustCompile(`^(\d{1,2}):(\d{2})(?::(\d{2}))?(?:\.\d+)?(?:\s*([AaPp])\.?[Mm]\.?)?`)
	zone       = regexp.MustCompile(`^\s*\(?(?:UTC|GMT|Z)\)?`)
	timeRange  = regexp.MustCompile(`^\s*(?:-|–|—|to)\s*\d{1,2}:\d{2}(?::\d{2})?`)
	separator  = regexp.MustCompile(`^\s*(?:[-–—:|.,;]\s*)?`)
	fuzzy      = regexp.MustCompile(`(?i)^(?:~|ca?\.\s*|around\s+|about\s+|approx(?:\.|imately)?\s+|at\s+)`)
	dateSep    = regexp.MustCompile(`^(?:T|\s*,?\s*(?:at\s+)?)`)
)

var months = map[string]time.Month{
	"jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
	"jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12,
}

// leadingStamp reads a date and/or time at the start of s, such as
// "14:23", "2024-03-05 14:23 UTC", "**14:23**" or "[14:23](link)", and
// returns it with the rest of s after a separator.
func leadingStamp(s string) (stamp, string, bool) {
	if inner, rest, ok := unwrap(s); ok {
		if st, in, ok := leadingStamp(inner); ok && strings.TrimSpace(in) == "" {
			return st, separator.ReplaceAllString(rest, ""), true
		}
	}
	s = fuzzy.ReplaceAllString(s, "")
	var st stamp
	date, rest, hasDate := leadingDate(s)
	if hasDate {
		st.date = date
		s = dateSep.ReplaceAllString(rest, "")
	}
	if tod, n, ok := leadingClock(s); ok {
		st.tod, st.hasTime = tod, true
		s = s[n:]
		s = zone.ReplaceAllString(s, "")
		s = timeRange.ReplaceAllString(s, "")
		s = zone.ReplaceAllString(s, "")
	} else if !hasDate {
		return stamp{}, s, false
	} else {
		s = rest
	}
	return st, strings.TrimSpace(separator.ReplaceAllString(s, "")), true
}

// unwrap splits "**x** rest", "`x` rest" or "[x](url) rest" into x and rest.
func unwrap(s string) (inner, rest string, ok bool) {
	for _, m := range []string{"***", "**", "__", "*", "_", "`"} {
		if strings.HasPrefix(s, m) {
			if j := strings.Index(s[len(m):], m); j > 0 {
				return s[len(m) : len(m)+j], s[2*len(m)+j:], true
			}
			return "", "", false
		}
	}
	if strings.HasPrefix(s, "[") {
		if j := strings.Index(s, "]("); j > 0 {
			if k := strings.Index(s[j:], ")"); k > 0 {
				return s[1:j], s[j+k+1:], true
			}
		}
	}
	return "", "", false
}

// leadingClock reads "14:23", "14:23:05" or "2:23 pm" and returns the time
// of day and the number of bytes read.
func leadingClock(s string) (time.Duration, int, bool) {
	m := clockTime.FindStringSubmatch(s)
	if m == nil {
		return 0, 0, false
	}
	h, _ := strconv.Atoi(m[1])
	mins, _ := strconv.Atoi(m[2])
	secs, _ := strconv.Atoi(m[3])
	if ampm := strings.ToLower(m[4]); ampm != "" {
		if h < 1 || h > 12 {
			return 0, 0, false
		}
		h %= 12
		if ampm == "p" {
			h += 12
		}
	}
	if h > 23 || mins > 59 || secs > 59 {
		return 0, 0, false
	}
	d := time.Duration(h)*time.Hour + time.Duration(mins)*time.Minute + time.Duration(secs)*time.Second
	return d, len(m[0]), true
}

// leadingDate reads "2024-03-05", "March 5, 2024", "5 Mar 2024" or
// "Tue Mar 5" at the start of s. A date without a year gets year 1.
func leadingDate(s string) (time.Time, string, bool) {
	s = weekday.ReplaceAllString(s, "")
	if m := isoDate.FindStringSubmatch(s); m != nil {
		return civil(m[1], m[2], m[3], s[len(m[0]):])
	}
	if m := monthFirst.FindStringSubmatch(s); m != nil {
		if mon, ok := monthNumber(m[1]); ok {
			return civil(m[3], mon, m[2], s[len(m[0]):])
		}
	}
	if m := dayFirst.FindStringSubmatch(s); m != nil {
		if mon, ok := monthNumber(m[2]); ok {
			return civil(m[3], mon, m[1], s[len(m[0]):])
		}
	}
	return time.Time{}, s, false
}

// monthNumber accepts English month names and their abbreviations.
func monthNumber(name string) (string, bool) {
	name = strings.ToLower(name)
	m, ok := months[name[:3]]
	full := strings.ToLower(time.Month(m).String())
	if !ok || !strings.HasPrefix(full, name) {
		return "", false
	}
	return strconv.Itoa(int(m)), true
}

// civil builds a date and checks it exists ("2024-02-30" does not).
func civil(year, month, day, rest string) (time.Time, string, bool) {
	y, _ := strconv.Atoi(year)
	if year == "" {
		y = 1
	}
	m, _ := strconv.Atoi(month)
	d, _ := strconv.Atoi(day)
	t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	if y < 1 || t.Month() != time.Month(m) || t.Day() != d {
		return time.Time{}, rest, false
	}
	return t, rest, true
}

var decoration = strings.NewReplacer("*", "", "_", "", "`", "", "(UTC)", "", "UTC", "")

// dateOnly reads a line that is only a date, such as a heading
// "=== 2024-03-05 ===" or a bold line "**Tuesday, March 5**".
func dateOnly(s string) (time.Time, bool) {
	s = strings.TrimSpace(decoration.Replace(s))
	s = strings.TrimSpace(strings.TrimRight(s, ":.,"))
	d, rest, ok := leadingDate(s)
	if !ok || strings.TrimSpace(rest) != "" {
		return time.Time{}, false
	}
	return d, true
}

// findDate finds the first ISO date anywhere in s, such as in a title or
// file name.
func findDate(s string) (time.Time, bool) {
	for i := 0; i+10 <= len(s); i++ {
		if (i == 0 || s[i-1] < '0' || s[i-1] > '9') && s[i] >= '1' && s[i] <= '2' {
			if d, _, ok := leadingDate(s[i:]); ok && isoDate.MatchString(s[i:]) {
				return d, true
			}
		}
	}
	return time.Time{}, false
}

// hasDate reports whether t carries a real date rather than a day counted
// from year 1.
func hasDate(t time.Time) bool { return t.Year() > 1 }
