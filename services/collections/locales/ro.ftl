# Scrisori de somare, în română.
dunning-greeting = Stimată doamnă, stimate domn,
dunning-subject-friendly-reminder = Memento: { $total } ajunge la scadență
dunning-intro-friendly-reminder = Vă reamintim că { $count ->
        [one] următoarea factură ajunge
       *[other] următoarele facturi ajung
    } curând la scadență. Dacă ați plătit deja, vă rugăm să ignorați acest mesaj.
dunning-subject-reminder = Somație de plată: { $total } restant
dunning-intro-reminder = Conform evidențelor noastre, { $count ->
        [one] următoarea factură este neachitată
       *[other] următoarele facturi sunt neachitate
    }, cea mai veche de { $days ->
        [one] { $days } zi
        [few] { $days } zile
       *[other] { $days } de zile
    } după scadență.
dunning-subject-final-notice = Ultima somație: { $total } restant
dunning-intro-final-notice = În ciuda somațiilor noastre, următoarele sume sunt încă neachitate. Vă rugăm să plătiți în 7 zile pentru a evita alte măsuri.
dunning-subject-credit-hold = Contul dumneavoastră este blocat: { $total } restant
dunning-intro-credit-hold = Deoarece următoarele sume sunt restante, comenzile noi sunt blocate până la achitarea lor.
dunning-subject-agency-handover = Contul dumneavoastră restant este predat unei agenții de recuperare
dunning-intro-agency-handover = Deoarece următoarele sume rămân neachitate, contul a fost predat agenției noastre de recuperare, care vă va contacta.
dunning-subject-legal-handover = Acțiune în instanță privind { $total } restant
dunning-intro-legal-handover = Deoarece următoarele sume rămân neachitate, dosarul a fost transmis departamentului juridic.
dunning-items = Sume deschise:
dunning-item = factura { $invoice } din { $issued }, scadentă la { $due }: { $open }
dunning-total = Total: { $total }
dunning-pay = Pentru plată, efectuați un transfer menționând referința de client { $customer } și numerele facturilor.
dunning-dispute = Dacă contestați o sumă (preț, cantitate, marfă deteriorată sau lipsă…), răspundeți la acest e-mail indicând factura și motivul: o vom suspenda cât timp o analizăm.
dunning-closing = Cu stimă,
    Departamentul Creanțe
