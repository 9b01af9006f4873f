# Lettres de relance, en français.
dunning-greeting = Madame, Monsieur,
dunning-subject-friendly-reminder = Rappel amical : { $total } arrive à échéance
dunning-intro-friendly-reminder = Nous vous rappelons que { $count ->
        [one] la facture suivante arrive
       *[other] les factures suivantes arrivent
    } prochainement à échéance. Si vous avez déjà réglé, merci de ne pas tenir compte de ce message.
dunning-subject-reminder = Relance : { $total } en retard de paiement
dunning-intro-reminder = Sauf erreur de notre part, { $count ->
        [one] la facture suivante reste impayée
       *[other] les factures suivantes restent impayées
    }, la plus ancienne depuis { $days ->
        [one] { $days } jour
       *[other] { $days } jours
    } après son échéance.
dunning-subject-final-notice = Mise en demeure : { $total } impayé
dunning-intro-final-notice = Malgré nos relances, les éléments suivants restent impayés. Merci de régler sous 7 jours pour éviter toute autre mesure.
dunning-subject-credit-hold = Votre compte est bloqué : { $total } impayé
dunning-intro-credit-hold = Les éléments suivants étant impayés, les nouvelles commandes de votre compte sont bloquées jusqu’à leur règlement.
dunning-subject-agency-handover = Votre dossier est transmis à une société de recouvrement
dunning-intro-agency-handover = Les éléments suivants restant impayés, votre dossier a été transmis à notre société de recouvrement, qui prendra contact avec vous.
dunning-subject-legal-handover = Procédure judiciaire concernant { $total } impayé
dunning-intro-legal-handover = Les éléments suivants restant impayés, le dossier a été transmis à notre service juridique.
dunning-items = Éléments ouverts :
dunning-item = facture { $invoice } du { $issued }, échue le { $due } : { $open }
dunning-total = Total : { $total }
dunning-pay = Pour régler, effectuez un virement en indiquant votre référence client { $customer } et les numéros de facture.
dunning-dispute = Si vous contestez un élément (prix, quantité, marchandise endommagée ou manquante…), répondez à ce courriel en indiquant la facture et le motif : nous le suspendrons pendant notre examen.
dunning-closing = Veuillez agréer nos salutations distinguées.
    Le service Comptabilité clients
