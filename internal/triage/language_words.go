package triage

// functionWords lists, per model class, frequent short words (pronouns,
// articles, particles, auxiliaries, greetings and polite formulas) that
// identify a language in a message of a few words. Written for this project;
// lower case; a word may belong to several languages. Words are matched as
// whole letter runs, so elisions are listed without the apostrophe. (A
// slice, not a map, so that it costs nothing until the model is built.)
var functionWords = []struct{ lang, words string }{
	{"en", `the and to of is it my you your me not have has was for on in with this that
		please thanks thank hello hi can cannot will would could should what why how when where
		still yet just but or be been are do does did didn doesn don isn wasn haven won get got from
		at by we our they there here hey dear regards any im its need want`},
	{"de", `der die das und ist ich nicht mein meine meinen meiner mir mich sie ein eine einen zu mit
		auf für von bitte danke hallo wie was warum noch kein keine habe hat wurde werden kann können
		möchte es auch aber oder wann wo schon immer sehr vielen dank guten tag bei aus nach den dem
		des im ins am um sich wir uns unser ihr ihre ihnen sind war bin leider geld wieder`},
	{"nl", `de het een en is ik niet mijn me mij je u uw van voor met op te aan dat die dit wat waarom
		hoe wanneer nog geen heb heeft kan wil graag alstublieft alsjeblieft bedankt dank hallo hoi
		goedemorgen maar of ook al er ben was werd zijn wordt naar bij uit om mee we wij ons onze
		jullie moet kunt krijg nu`},
	{"af", `die en is nie ek my jy u van vir met op om te het wat hoekom hoe wanneer nog geen kan wil
		asseblief dankie baie hallo goeie maar of ook al was word na by uit ons julle moet sal gaan
		nou hier daar kry gekry hulle sy hy`},
	{"da", `jeg ikke er det den en et og at til på med for af min mit mine har kan vil du de jer vi os
		hvad hvorfor hvordan hvornår stadig endnu ingen tak hej venligst godt mange men eller også så
		var blev bliver fra om ud skal mig dig sig have være nu her der hvis kunne fik`},
	{"nb", `jeg ikke er det den en et og at til på med for av min mitt mine har kan vil du dere vi oss
		hva hvorfor hvordan når fortsatt ennå ingen takk hei vennligst god mange men eller også så
		var ble blir fra om ut skal meg deg seg ha være nå her der hvis kunne fikk`},
	{"nn", `eg ikkje er det den ein eit og at til på med for av min mitt mine har kan vil du de dykk
		vi oss kva kvifor korleis når framleis enno ingen takk hei venleg mange men eller også så
		var vart blir frå om ut skal meg deg seg ha vere no her der viss kunne fekk`},
	{"sv", `jag inte är det den en ett och att till på med för av min mitt mina har kan vill du ni vi
		oss vad varför hur när fortfarande ännu ingen inget tack hej snälla vänligen god många men
		eller också så var blev blir från om ut ska skall mig dig sig ha vara nu här där kunde fick`},
	{"fi", `minä en ei on ole se että ja tai mutta kun jos mitä miksi miten milloin vielä kiitos hei
		moi terve voitteko voinko haluan minun sinun teidän meidän te me he tämä tuo ovat oli olen
		enää jo nyt myös kanssa ilman pitää täytyy saanut saa apua kiitoksia`},
	{"et", `mina ma ei on ole see et ja või aga kui mida miks kuidas millal veel aitäh tänan tere
		palun mu minu teie te meie me nad need olen oli olid juba nüüd ka koos ilma pean saan
		soovin tahan abi mis`},
	{"hu", `az és nem van vagy hogy de is meg már még csak köszönöm köszi kérem szia helló jó napot
		mi miért hogyan mikor én te ön maga ti ők ez egy volt lesz lett kell tudok tud szeretném
		szeretnék nincs sem el ki be fel le azt ezt nekem engem velem kérlek`},
	{"tr", `bir ve bu şu ben sen siz biz değil var yok mi mı mu mü ne neden nasıl zaman hala hâlâ
		henüz teşekkürler teşekkür ederim lütfen merhaba selam için ile ama veya da de çok daha
		benim sizin gibi kadar şimdi artık istiyorum olarak oldu olan hiç`},
	{"pl", `nie jest to się że jak co czy ale lub albo mój moja moje mojego mnie mi ja ty pan pani
		państwo proszę dziękuję dzięki dzień dobry cześć witam już jeszcze dlaczego kiedy gdzie
		może mogę chcę chciałbym chciałabym został była było nadal wciąż tylko bardzo od po przez
		dla mam jestem`},
	{"cs", `ne je to se že jak co ale nebo můj moje mého mě mi já ty vy vám prosím děkuji díky dobrý
		den ahoj už ještě proč kdy kde může můžu můžete chci chtěl chtěla bych byl byla bylo stále
		pořád jen jenom velmi od po pro jsem jste není mám máte nemůžu dobrý`},
	{"sk", `nie je to sa že ako čo ale alebo môj moja moje môjho ma mi ja ty vy vám prosím ďakujem
		vďaka dobrý deň ahoj už ešte prečo kedy kde môže môžem môžete chcem chcel chcela by bol
		bola bolo stále len veľmi od po pre som ste mám máte nemôžem`},
	{"sl", `ne je to se in da kako kaj ampak ali moj moja moje mojega me mi jaz ti vi vam prosim hvala
		dober dan zdravo živjo že še zakaj kdaj kje lahko želim bi bil bila bilo samo zelo od po
		za pri sem ste ni imam imate nisem nič`},
	{"hr", `ne je to se da kako što ali ili moj moja moje mog me mi ja ti vi vam molim hvala dobar
		dan bok pozdrav već još zašto kada kad gdje može mogu možete želim htio htjela bih bi bio
		bila bilo samo vrlo jako od po za sam ste nije imam imate nisam ništa`},
	{"ro", `nu este și în la de pe cu că ce cum când unde dar sau meu mea mei mele mă mi eu tu
		dumneavoastră vă rog mulțumesc multumesc mersi bună ziua salut deja încă poate pot puteți
		vreau aș am ați fost doar foarte pentru din prin despre al ai ale nici niciun`},
	{"it", `non è il la lo le gli un una di da in con su per che come perché quando dove ma mio mia
		miei mie mi me io tu lei voi vi ci favore grazie ciao buongiorno salve già ancora può
		posso potete vorrei voglio ho ha hanno sono stato stata solo molto del della dei al alla
		nel nella sul`},
	{"es", `no es está y el la los las un una de en con por para que cómo qué cuándo dónde pero mi
		mis me yo tú usted ustedes favor gracias hola buenos días buenas ya todavía aún puede
		puedo pueden quiero quisiera he ha han sido solo muy del al su sus nos lo le les hay nada
		tengo`},
	{"pt", `não é está e o os as um uma de em com por para que como quando onde mas ou meu minha
		meus minhas me eu você vocês senhor favor obrigado obrigada olá oi bom dia boa tarde já
		ainda pode posso podem quero gostaria tenho tem foi só muito do da dos das no na nos nas
		ao seu sua nada isso`},
	{"ca", `no és està el la els les un una de en amb per que com quan on però meu meva meus em jo
		tu vostè vostès si us plau gràcies hola bon dia bona tarda ja encara pot puc poden vull
		voldria he ha han estat només molt del al dels als seu seva res tinc aquest aquesta ho li
		hi`},
	{"fr", `ne pas est et le la les un une de des du en avec pour par que qui comment pourquoi quand
		où mais ou mon ma mes me moi je tu vous votre vos nous notre merci bonjour bonsoir salut
		plaît déjà encore toujours peut peux pouvez veux voudrais ai ont été seulement très au aux
		sur dans ce cette ça rien suis sont il elle on`},
	{"ga", `tá níl is ní an na agus ar le do de go mo mé tú sé sí sibh muid sinn bhfuil raibh conas
		cén cad céard cathain cá fáth maith agat agaibh dia duit daoibh thoil fós cheana féin ag
		ach nó mar ba bhí beidh arís liom leat dom orm uaim agam`},
	{"lt", `ne yra ir aš tu jūs mes mano jūsų mūsų man mane jums kad kaip kodėl kada kur ką kas bet
		arba ar dar jau vis tik labai ačiū dėkoju sveiki labas prašau prašom galiu galite noriu
		norėčiau buvo nėra negaliu su be apie iš į už nuo po per tai šis ši`},
	{"lv", `nav ir un es tu jūs mēs mans mana manu jūsu mūsu man mani jums ka kā kāpēc kad kur ko
		kas bet vai vēl jau tikai ļoti paldies sveiki labdien lūdzu varu varat vēlos gribu bija
		nevaru ar bez par no uz pēc pie līdz šis šī tas tā`},
	{"is", `ekki er og ég þú þið við minn mín mitt mér mig þér þig að hvernig hvers vegna hverju
		hvenær hvar hvað en eða enn bara mjög takk fyrir kærar þakkir halló hæ góðan daginn
		vinsamlegast get getur getið vil vill langar var hef hefur með án um frá til á í það
		þetta þessi`},
	{"sw", `si ni na ya wa za la kwa katika mimi wewe ninyi sisi yangu yako yenu yetu kwamba jinsi
		nini lini wapi lakini au bado tayari tu sana asante habari hujambo jambo tafadhali naomba
		ninaomba nataka ningependa naweza unaweza mnaweza sijapata hii hiyo huu kama pia sasa leo
		msaada`},
	{"id", `tidak bukan ada dan saya aku anda kamu kami kita mereka ini itu yang di ke dari untuk
		dengan bagaimana kenapa mengapa kapan dimana apa tapi tetapi atau masih sudah belum hanya
		sangat terima kasih halo selamat pagi siang tolong mohon bisa dapat ingin mau akan telah
		juga lagi sekarang punya
		kartu uang bisa nggak gak enggak udah aja banget dong sih kok akun rekening gimana
		kalian pesanan tagihan sandi bantuannya ditagih ditolak`},
	{"vi", `không là và tôi bạn anh chị em của cho với có được này đó như thế nào tại sao khi ở đâu
		gì nhưng hoặc vẫn đã chưa chỉ rất cảm ơn xin chào vui lòng giúp muốn thể đang sẽ rồi mà
		thì các những một trong đến từ`},
	{"mt", `il li ma mhux huwa hija hu hi jien int intom aħna huma tiegħi tiegħek tagħkom tagħna
		għandi għandek għandna ta tal tar tat fil fl bil minn għal għall biex kif għaliex għala
		meta fejn xi iżda imma jew għadu għadha diġà biss ħafna grazzi nirringrazzjak bonġu
		saħħa jekk jogħġbok nista tista irrid nixtieq kien kienet mhix ebda dan din dawn se qed
		lil lill`},
	{"ru", `не это и в на с я ты вы мы мой моя моё мои мне меня вас вам что как почему когда где
		но или ещё еще уже только очень спасибо здравствуйте привет пожалуйста могу можете хочу
		хотел хотела был была было нет до для от по за из о у так все всё его её они он она сих
		пор пока`},
	{"uk", `не це і й та в у на з я ти ви ми мій моя моє мої мені мене вас вам що як чому коли де
		але або ще вже лише тільки дуже дякую вітаю привіт будь ласка можу можете хочу хотів
		хотіла був була було немає ні до для від по за про його її вони він вона досі поки`},
	{"bg", `не това и в на с аз ти вие ние моят моята моето моите ми мен ви вас вам че какво как
		защо кога къде но или още вече само много благодаря здравейте здрасти моля мога можете
		искам бих беше бяха няма до за от по при със тя той те е са съм сте ли да го`},
	{"sr", `не то ово и у на са с ја ти ви ми мој моја моје мени ме вас вам да шта што како зашто
		када кад где али или још већ само врло много хвала здраво поздрав молим могу можете
		желим хтео хтела бих био била било нема није до за од по код сам сте је су`},
	{"bs", `ne je to se da kako šta sta ali ili moj moja moje mog me mi ja ti vi vam molim hvala
		lijepo dobar dan selam merhaba zdravo već još zašto kada kad gdje ko može mogu možete
		želim htio htjela bih bi bio bila bilo samo vrlo jako od po za sam ste nije imam imate
		nisam ništa hiljada sedmica hljeb lahko kahva sehir evo hajde`},
	{"ms", `tak awak macam bila dah sila mahu nak kad wang duit akaun encik kat ni tu betul
		percuma telefon boleh hendak beli bayaran caj sudahkah kenapakah ialah adalah amat
		terima kasih banyak`},
	{"gl", `non unha xa aínda grazas ola bos boas cando podo teño miña miñas iso hai ningún
		ningunha tamén hoxe onte mañá tarxeta cartos coa polo pola moi vós nós pero dende deica
		quería fixen chegou`},
	{"sq", `nuk është jam je jemi jeni dhe e të në me për nga se si pse kur ku çfarë por ose ende
		akoma tashmë vetëm shumë faleminderit përshëndetje mirëdita ju lutem mund dua do kam
		ke ka kemi keni im ime imi yt juaj tuaj ky kjo këtë atë ishte kartë karta kartën para
		paratë llogari llogaria`},
	{"az", `deyil var yox və ilə üçün bu o mən sən siz biz onlar mənim sizin bizim nə niyə necə
		nə vaxt harada amma ya da hələ artıq yalnız çox təşəkkür salam xahiş edirəm bilərəm
		bilərsiniz istəyirəm oldu olub edin edə kart kartım pul hesab hesabım mənə sizə`},
	{"eu", `ez da dago eta edo baina ere bai ni zu gu haiek nire zure gure hau hori hura zer zergatik
		nola noiz non oraindik dagoeneko bakarrik oso eskerrik asko kaixo egun on mesedez nahi
		dut duzu du dugu dute naiz zara gara izan ahal dezaket dezakezu txartela txartelak
		dirua kontua kontuan ordainketa`},
	{"be", `не гэта і й ды ў у на з я ты вы мы мой мая маё мае мне мяне вас вам што як чаму калі
		дзе але або яшчэ ўжо толькі вельмі дзякуй вітаю прывітанне калі ласка магу можаце хачу
		хацеў хацела быў была было няма да для ад па за пра яго яе яны ён яна картка карту
		грошы рахунак`},
	{"kk", `емес жоқ бар және мен сен сіз біз олар менің сіздің біздің бұл ол не неге неліктен
		қалай қашан қайда бірақ немесе әлі енді тек өте рахмет рақмет сәлеметсіз сәлем өтінемін
		алады аламын аласыз келеді келмеді болды болып керек карта картам картаны ақша
		ақшам шот шотым маған сізге`},
	{"mk", `не ова тоа и во на со јас ти вие ние мој моја мое мои ми мене ве вас што како зошто
		кога каде но или уште веќе само многу благодарам здраво поздрав ве молам може можам
		можете сакам би беше беа нема до за од по кај сум сте е се ќе картичка картичката
		пари сметка`},
	{"mn", `биш байна байгаа үгүй ба болон би чи та бид тэд миний таны бидний энэ тэр юу яагаад
		яаж хэзээ хаана гэхдээ эсвэл одоо хараахан зөвхөн маш баярлалаа сайн байна уу сайн
		байна уу гуйя болох болно хүсч байна хийх картаа карт мөнгө данс дансны надад танд`},
	{"ar", `في من على إلى الى عن مع أنا انا أنت انت نحن هذا هذه ذلك لا لم لن ما ماذا لماذا كيف
		متى أين اين هل أو او لكن ولكن بعد قبل الآن فقط جدا جداً شكرا شكراً مرحبا السلام عليكم
		فضلك أريد اريد أود يمكنني يمكنك لقد قد كان كانت تم لي لك هو هي الذي التي`},
	{"fa", `در از به با برای که این آن من تو شما ما را است نیست هست یا اما ولی چرا چطور چگونه کی
		کجا چه هنوز فقط خیلی بسیار ممنون متشکرم مرسی سلام لطفا لطفاً خواهم میخواهم میخوام خواهش
		می نمی شده بود هم دارم ندارم کنید کنم شد یک`},
	{"ur", `میں سے کو کا کی کے پر اور یا لیکن مگر کہ یہ وہ آپ ہم میرا میری میرے ہے ہیں تھا تھی
		نہیں کیا کیوں کیسے کب کہاں ابھی تک صرف بہت شکریہ سلام براہ کرم مہربانی چاہتا چاہتی
		سکتا سکتی گیا گئی ہوا ہوں بھی نے`},
}

// isUniversalToken reports words that carry no language: a message made
// only of them falls back to the locale.
func isUniversalToken(w string) bool {
	switch w {
	case "ok", "okay", "okey", "k", "kk", "thx", "lol", "xd", "hm", "hmm", "ah", "oh",
		"ha", "haha", "hehe", "test", "ок", "окей":
		return true
	}
	return false
}
