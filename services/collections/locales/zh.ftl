# 催款函，中文。
dunning-greeting = { $company }：您好！
dunning-subject-friendly-reminder = 温馨提示：{ $total } 即将到期
dunning-intro-friendly-reminder = 温馨提示，以下 { $count } 张发票即将到期。如您已付款，请忽略本消息。
dunning-subject-reminder = 付款提醒：{ $total } 已逾期
dunning-intro-reminder = 根据我们的记录，以下 { $count } 张发票尚未支付，最早一张已逾期 { $days } 天。
dunning-subject-final-notice = 最后通知：{ $total } 已逾期
dunning-intro-final-notice = 尽管我们多次提醒，以下款项仍未支付。请在 7 天内付款，以免采取进一步措施。
dunning-subject-credit-hold = 您的账户已被暂停赊销：{ $total } 逾期
dunning-intro-credit-hold = 由于以下款项逾期，您账户的新订单将暂停，直至付清为止。
dunning-subject-agency-handover = 您的逾期账款已移交催收机构
dunning-intro-agency-handover = 由于以下款项仍未支付，您的账户已移交我们的催收机构，对方将与您联系。
dunning-subject-legal-handover = 关于 { $total } 逾期款项的法律程序
dunning-intro-legal-handover = 由于以下款项仍未支付，此事已移交我们的法务部门。
dunning-items = 未结款项：
dunning-item = 发票 { $invoice }（开票日 { $issued }，到期日 { $due }）：{ $open }
dunning-total = 合计：{ $total }
dunning-pay = 付款时请转账并注明您的客户编号 { $customer } 及发票号码。
dunning-dispute = 如您对某项款项有异议（价格、数量、货物损坏或缺失等），请回复本邮件并注明发票及原因，我们将在核查期间暂停催收该款项。
dunning-closing = 此致
    敬礼
    应收账款部
