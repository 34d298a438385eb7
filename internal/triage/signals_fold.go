// Code generated from Unicode 14.0.0 NFD data by a one-off script; edit with care.

package triage

// sigFoldFrom[i] folds to sigFoldTo[i]: lower-case letters with diacritics
// (Latin, Greek, Cyrillic ё) and their base letter.
const (
	sigFoldFrom = "àáâãäåçèéêëìíîïðñòóôõöøùúûüýÿāăąćĉċčďđēĕėęěĝğġģĥħĩīĭįıĵķĺļľŀłńņňŋōŏőŕŗřśŝşšţťŧũūŭůűųŵŷźżžſƒơưǎǐǒǔǖǘǚǜǟǡǣǧǩǫǭǯǰǵǹǻǽǿȁȃȅȇȉȋȍȏȑȓȕȗșțȟȧȩȫȭȯȱȳʹ;΅·ΐάέήίΰςϊϋόύώϓϔѐёѓќѝḁḃḅḇḉḋḍḏḑḓḕḗḙḛḝḟḡḣḥḧḩḫḭḯḱḳḵḷḹḻḽḿṁṃṅṇṉṋṍṏṑṓṕṗṙṛṝṟṡṣṥṧṩṫṭṯṱṳṵṷṹṻṽṿẁẃẅẇẉẋẍẏẑẓẕẖẗẘẙẛạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹἀἁἂἃἄἅἆἇἐἑἒἓἔἕἠἡἢἣἤἥἦἧἰἱἲἳἴἵἶἷὀὁὂὃὄὅὐὑὒὓὔὕὖὗὠὡὢὣὤὥὦὧὰάὲέὴήὶίὸόὺύὼώᾀᾁᾂᾃᾄᾅᾆᾇᾐᾑᾒᾓᾔᾕᾖᾗᾠᾡᾢᾣᾤᾥᾦᾧᾰᾱᾲᾳᾴᾶᾷι῁ῂῃῄῆῇ῍῎῏ῐῑῒΐῖῗ῝῞῟ῠῡῢΰῤῥῦῧ῭΅`ῲῳῴῶῷ´"
	sigFoldTo   = "aaaaaaceeeeiiiidnoooooouuuuyyaaaccccddeeeeegggghhiiiiijklllllnnnnooorrrsssstttuuuuuuwyzzzsfouaiouuuuuaaægkooʒjgnaæøaaeeiioorruusthaeooooyʹ;¨·ιαεηιυσιυουωϒϒеегкиabbbcdddddeeeeefghhhhhiikkkllllmmmnnnnoooopprrrrsssssttttuuuuuvvwwwwwxxyzzzhtwyſaaaaaaaaaaaaeeeeeeeeiioooooooooooouuuuuuuyyyyααααααααεεεεεεηηηηηηηηιιιιιιιιοοοοοουυυυυυυυωωωωωωωωααεεηηιιοουυωωααααααααηηηηηηηηωωωωωωωωαααααααι¨ηηηηη᾿᾿᾿ιιιιιι῾῾῾υυυυρρυυ¨¨`ωωωωω´"
)

// sigFoldMulti holds the letters that fold to more than one letter.
var sigFoldMulti = map[rune]string{'ß': "ss", 'æ': "ae", 'þ': "th", 'œ': "oe"}
