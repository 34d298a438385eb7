package triage

import "testing"

// sigBenchMessages is a mix of routine, human-request, sensitive and angry
// messages in several languages.
var sigBenchMessages = []struct{ text, lang string }{
	{"Hi, I ordered a new card two weeks ago and it still hasn't arrived. Can you check where it is?", "en"},
	{"I want to talk to a human", "en"},
	{"There's a payment on my account I didn't make, I think someone has my card details", "en"},
	{"This is the third time I'm writing, it's ridiculous!!!", "en"},
	{"How do I top up my account with Apple Pay?", ""},
	{"Jag vill prata med en människa", "sv"},
	{"Ich möchte eine Beschwerde einreichen, mein Anwalt meldet sich", "de"},
	{"pásame con un operador por favor", ""},
	{"请转人工", "zh"},
	{"Why is my transfer still pending? I need the money today for rent", ""},
}

var sigBenchHistory = []string{"Where is my card?", "I ordered it two weeks ago", "Hello?"}

func BenchmarkHumanRequest(b *testing.B) {
	HumanRequest("warm up", "")
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		m := sigBenchMessages[i%len(sigBenchMessages)]
		HumanRequest(m.text, m.lang)
	}
}

func BenchmarkDetectSensitive(b *testing.B) {
	DetectSensitive("warm up", "")
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		m := sigBenchMessages[i%len(sigBenchMessages)]
		DetectSensitive(m.text, m.lang)
	}
}

func BenchmarkDetectMood(b *testing.B) {
	DetectMood("warm up", "", nil)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		m := sigBenchMessages[i%len(sigBenchMessages)]
		DetectMood(m.text, m.lang, sigBenchHistory)
	}
}

// BenchmarkSignalsAll is the three together, as triage calls them.
func BenchmarkSignalsAll(b *testing.B) {
	DetectMood("warm up", "", nil)
	DetectSensitive("warm up", "")
	HumanRequest("warm up", "")
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		m := sigBenchMessages[i%len(sigBenchMessages)]
		HumanRequest(m.text, m.lang)
		DetectSensitive(m.text, m.lang)
		DetectMood(m.text, m.lang, sigBenchHistory)
	}
}
