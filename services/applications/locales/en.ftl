# Decision notices to applicants, in English. Variables: $company, $limit, $requested,
# $terms (days, a number), $review (a date), $conditions, $reference.
notice-subject-approved = Your credit application { $reference } has been approved
notice-subject-rejected = Your credit application { $reference } has been declined
notice-subject-information = Your credit application { $reference }: we need more information
notice-greeting = Dear { $company },
notice-approved = We are pleased to grant you a credit limit of { $limit } with payment terms of { $terms ->
        [one] { $terms } day
       *[other] { $terms } days
    } after invoice.
notice-conditions = This credit limit is subject to the following conditions: { $conditions }.
notice-review = We will review your credit limit by { $review }.
notice-rejected = After careful review, we are unable to grant the credit limit of { $requested } you applied for.
notice-reasons = The main reasons for our decision are:
notice-information = To continue assessing your application, we need the following from you:
notice-closing = Yours sincerely,
    Credit Management
reason-scoring-hard-reject = public records show a serious adverse event, such as an insolvency filing
reason-risk-class-rejected = the assessed risk of default of your business is too high at present
reason-risk-class-above-auto-approval = the assessed risk requires a review by our credit team
reason-amount-above-auto-approval = the amount requested requires a review by our credit team
reason-terms-above-auto-approval = the payment terms requested require a review by our credit team
reason-amount-above-recommended-limit = the amount requested is higher than your financial statements support
reason-within-auto-approval = your application meets our credit policy
# Limit changes of approved customers. Variables also: $previous (the limit before), $until (a date).
notice-subject-changed = Your credit limit has been changed ({ $reference })
notice-changed = Your credit limit changes from { $previous } to { $limit }.
notice-changed-temporary = Your credit limit is raised from { $previous } to { $limit } until { $until }; it then returns to { $previous }.
notice-subject-change-rejected = Your request { $reference } to change your credit limit
notice-change-rejected = After careful review, we are unable to change your credit limit to { $requested }. Your current limit of { $previous } remains.
