# Notificări de decizie pentru solicitanți, în limba română.
notice-subject-approved = Cererea dumneavoastră de credit { $reference } a fost aprobată
notice-subject-rejected = Cererea dumneavoastră de credit { $reference } a fost respinsă
notice-subject-information = Cererea dumneavoastră de credit { $reference }: avem nevoie de informații suplimentare
notice-greeting = Stimate client { $company },
notice-approved = Avem plăcerea să vă acordăm o limită de credit de { $limit }, cu un termen de plată de { $terms ->
        [one] { $terms } zi
        [few] { $terms } zile
       *[other] { $terms } de zile
    } de la emiterea facturii.
notice-conditions = Această limită de credit este acordată în următoarele condiții: { $conditions }.
notice-review = Vom reevalua limita dumneavoastră de credit până la data de { $review }.
notice-rejected = În urma unei analize atente, nu vă putem acorda limita de credit de { $requested } solicitată.
notice-reasons = Principalele motive ale deciziei noastre sunt:
notice-information = Pentru a continua analiza cererii, avem nevoie de următoarele:
notice-closing = Cu stimă,
    Departamentul de management al creditului
reason-scoring-hard-reject = registrele publice arată un eveniment grav, precum o procedură de insolvență
reason-risk-class-rejected = riscul de neplată evaluat pentru firma dumneavoastră este în prezent prea ridicat
reason-risk-class-above-auto-approval = riscul evaluat necesită o analiză din partea echipei noastre de credit
reason-amount-above-auto-approval = suma solicitată necesită o analiză din partea echipei noastre de credit
reason-terms-above-auto-approval = termenul de plată solicitat necesită o analiză din partea echipei noastre de credit
reason-amount-above-recommended-limit = suma solicitată depășește ceea ce susțin situațiile financiare
reason-within-auto-approval = cererea dumneavoastră respectă politica noastră de credit
# Modificări ale limitei clienților aprobați. Variabile în plus: $previous, $until (o dată).
notice-subject-changed = Limita dumneavoastră de credit a fost modificată ({ $reference })
notice-changed = Limita dumneavoastră de credit se modifică de la { $previous } la { $limit }.
notice-changed-temporary = Limita dumneavoastră de credit crește de la { $previous } la { $limit } până la { $until }; apoi revine la { $previous }.
notice-subject-change-rejected = Cererea dumneavoastră { $reference } de modificare a limitei de credit
notice-change-rejected = După o analiză atentă, nu putem modifica limita dumneavoastră de credit la { $requested }. Limita actuală de { $previous } se menține.
