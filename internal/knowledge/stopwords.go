package knowledge

import "strings"

// isStop reports whether w is a stop word of lang. Unknown languages use
// the English list, which at least drops the words customers mix in.
func isStop(w, lang string) bool {
	if m, ok := stopWords[lang]; ok {
		return m[w]
	}
	return stopWords["en"][w]
}

var stopWords = map[string]map[string]bool{
	"en": set(`a an the and or but if of to in on at by for with from about as into
		is are was were be been being am do does did doing have has had having can could would should will shall may might must
		i me my mine we us our you your yours he him his she her it its they them their this that these those
		what which who whom when where why how there here not no so too very just also than then now
		hi hello hey please thanks thank ok okay yes any some all get got want need know tell help
		dont didnt doesnt cant wont isnt arent wasnt werent hasnt havent hadnt wouldnt couldnt shouldnt
		im ive youre its thats whats theres still yet already just really`),
	"sv": set(`och i att det som en på är av för med till den har de inte om ett han men var jag sig från vi så kan man när
		år säger hon under också efter eller nu sin där vid mot ska skulle kommer ut får finns vara hade alla andra mycket än här då
		sedan över bara in blir upp även vad få två vill ha många hur mer går sverige kronor detta nya procent skriver hans utan sina
		något svenska allt första fick måste mellan blev bli prosent hade dem du dig din ditt dina mig min mitt mina oss vår vårt våra
		er ert era hej tack snälla jo nej ja varför vilken vilket vilka vem vart hur någon några inget ingen inga`),
	"de": set(`der die das den dem des ein eine einen einem einer eines und oder aber wenn als wie ist sind war waren sein bin bist
		hat habe haben hatte hatten wird werden wurde wurden kann können konnte muss müssen soll sollen will wollen möchte
		ich du er sie es wir ihr mich mir dich dir uns euch mein meine meinen meinem meiner dein deine ihr ihre ihren ihrem unser
		unsere sich nicht kein keine keinen noch schon auch nur so da dann doch ja nein zu zum zur im in an am auf aus bei mit nach
		von vor für über unter um durch bis seit ohne gegen was wer wo wann warum wieso weshalb welche welcher welches hallo bitte danke
		dass denn etwa hier dort mal man viel sehr`),
	"es": set(`el la los las un una unos unas y o u pero si de del al a en con por para sin sobre entre hasta desde es son era eran
		ser estar esta este esto estos estas está están estoy fue fueron ha han he has hay había tengo tiene tienen tener puedo puede
		pueden quiero quiere me mi mis te tu tus su sus nos nuestro nuestra yo tú él ella ellos ellas usted ustedes le les lo se que
		qué cómo como cuándo cuando dónde donde por qué porque cuál cual quién quien no sí ya muy más menos también hola gracias
		favor ayuda necesito`),
}

func set(words string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(words) {
		m[w] = true
		m[fold(w)] = true
	}
	return m
}
