# Dunning letters, in English. Variables: $company, $total (open amount listed), $count (items),
# $days (days the oldest item is past due), $customer (our reference for the customer).
dunning-greeting = Dear { $company },
dunning-subject-friendly-reminder = Friendly reminder: { $total } falls due soon
dunning-intro-friendly-reminder = This is a friendly reminder that the following { $count ->
        [one] invoice falls
       *[other] invoices fall
    } due shortly. If you have already paid, please disregard this message.
dunning-subject-reminder = Payment reminder: { $total } is overdue
dunning-intro-reminder = According to our records the following { $count ->
        [one] invoice is
       *[other] invoices are
    } unpaid, the oldest { $days ->
        [one] { $days } day
       *[other] { $days } days
    } past its due date.
dunning-subject-final-notice = Final notice: { $total } is overdue
dunning-intro-final-notice = Despite our reminders, the following items are still unpaid. Please pay within 7 days to avoid further action.
dunning-subject-credit-hold = Your account is on credit hold: { $total } overdue
dunning-intro-credit-hold = Because the following items are overdue, new orders on your account are on hold until they are paid.
dunning-subject-agency-handover = Your overdue account is handed to a collection agency
dunning-intro-agency-handover = As the following items remain unpaid, your account has been handed over to our collection agency, which will contact you.
dunning-subject-legal-handover = Legal action regarding { $total } overdue
dunning-intro-legal-handover = As the following items remain unpaid, the matter has been passed to our legal department.
dunning-items = Open items:
dunning-item = invoice { $invoice } of { $issued }, due { $due }: { $open }
dunning-total = Total: { $total }
dunning-pay = To pay, transfer the amount quoting your customer reference { $customer } and the invoice numbers.
dunning-dispute = If you disagree with an item (price, quantity, damaged or missing goods…), reply to this e-mail naming the invoice and the reason: we will put it on hold while we look into it.
dunning-closing = Yours sincerely,
    Accounts Receivable
