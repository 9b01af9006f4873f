# 致申请人的决定通知（中文）。
notice-subject-approved = 您的信用申请 { $reference } 已获批准
notice-subject-rejected = 您的信用申请 { $reference } 未获批准
notice-subject-information = 您的信用申请 { $reference }：我们需要补充信息
notice-greeting = { $company }：您好！
notice-approved = 我们很高兴为贵公司核定 { $limit } 的信用额度，付款期限为开票后 { $terms } 天。
notice-conditions = 该信用额度附带以下条件：{ $conditions }。
notice-review = 我们将于 { $review } 之前重新评估贵公司的信用额度。
notice-rejected = 经过仔细审核，我们无法核定贵公司申请的 { $requested } 信用额度。
notice-reasons = 我们作出此决定的主要原因如下：
notice-information = 为继续审核贵公司的申请，我们需要以下材料：
notice-closing = 此致
    敬礼
    信用管理部
reason-scoring-hard-reject = 公开记录显示存在重大不利事件，例如破产申请
reason-risk-class-rejected = 目前评估的贵公司违约风险过高
reason-risk-class-above-auto-approval = 评估的风险需要由我们的信用团队审核
reason-amount-above-auto-approval = 申请金额需要由我们的信用团队审核
reason-terms-above-auto-approval = 申请的付款期限需要由我们的信用团队审核
reason-amount-above-recommended-limit = 申请金额超出贵公司财务报表所能支持的水平
reason-within-auto-approval = 贵公司的申请符合我们的信用政策
# 已批准客户的额度调整。另有变量：$previous（调整前的额度）、$until（日期）。
notice-subject-changed = 您的信用额度已调整（{ $reference }）
notice-changed = 您的信用额度由 { $previous } 调整为 { $limit }。
notice-changed-temporary = 您的信用额度由 { $previous } 临时提高至 { $limit }，有效期至 { $until }，之后恢复为 { $previous }。
notice-subject-change-rejected = 关于您调整信用额度的申请 { $reference }
notice-change-rejected = 经审慎评估，我们无法将您的信用额度调整为 { $requested }。您目前 { $previous } 的信用额度保持不变。
