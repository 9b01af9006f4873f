# Notifications de décision aux demandeurs, en français.
notice-subject-approved = Votre demande de crédit { $reference } est acceptée
notice-subject-rejected = Votre demande de crédit { $reference } n’a pas pu être acceptée
notice-subject-information = Votre demande de crédit { $reference } : nous avons besoin d’informations complémentaires
notice-greeting = Madame, Monsieur,
notice-approved = Nous avons le plaisir d’accorder à { $company } une limite de crédit de { $limit }, avec un délai de paiement de { $terms ->
        [one] { $terms } jour
       *[other] { $terms } jours
    } à compter de la facture.
notice-conditions = Cette limite de crédit est soumise aux conditions suivantes : { $conditions }.
notice-review = Nous réexaminerons votre limite de crédit au plus tard le { $review }.
notice-rejected = Après un examen attentif, nous ne sommes pas en mesure d’accorder à { $company } la limite de crédit de { $requested } demandée.
notice-reasons = Les principales raisons de notre décision sont les suivantes :
notice-information = Pour poursuivre l’examen de votre demande, nous avons besoin des éléments suivants :
notice-closing = Veuillez agréer nos salutations distinguées.
    Le service Gestion du crédit
reason-scoring-hard-reject = les registres publics font état d’un événement grave, tel qu’une procédure collective
reason-risk-class-rejected = le risque de défaillance évalué pour votre entreprise est actuellement trop élevé
reason-risk-class-above-auto-approval = le risque évalué nécessite un examen par notre service crédit
reason-amount-above-auto-approval = le montant demandé nécessite un examen par notre service crédit
reason-terms-above-auto-approval = le délai de paiement demandé nécessite un examen par notre service crédit
reason-amount-above-recommended-limit = le montant demandé dépasse ce que vos états financiers permettent
reason-within-auto-approval = votre demande répond à notre politique de crédit
# Modifications de limite des clients acceptés. Variables en plus : $previous, $until (une date).
notice-subject-changed = Votre limite de crédit est modifiée ({ $reference })
notice-changed = Votre limite de crédit passe de { $previous } à { $limit }.
notice-changed-temporary = Votre limite de crédit passe de { $previous } à { $limit } jusqu’au { $until } ; elle revient ensuite à { $previous }.
notice-subject-change-rejected = Votre demande { $reference } de modification de votre limite de crédit
notice-change-rejected = Après un examen attentif, nous ne sommes pas en mesure de porter votre limite de crédit à { $requested }. Votre limite actuelle de { $previous } est maintenue.
