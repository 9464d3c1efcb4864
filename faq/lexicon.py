"""Domain vocabulary: how overseas Chinese name the things a 侨联 hotline is asked about.

Each concept lists the surface forms people actually use (formal, colloquial, English,
abbreviations).  Entries and queries are both reduced to concepts, so "passport",
"護照" and "户照" (voice-to-text) meet in the same place.  Homophones are *not* listed
here: the analyser finds them through tone-less pinyin of the Chinese forms.

Keep this general domain knowledge.  Do not paste test queries in; add the word a
person would use, and the pinyin and English handling will generalise it.
"""

from __future__ import annotations

# concept id -> surface forms.  Chinese in Simplified (input is converted with OpenCC
# first); English in lower case, multi-word phrases allowed.
CONCEPTS: dict[str, tuple[str, ...]] = {
    # --- travel documents -------------------------------------------------------------
    "passport": ("护照", "中国护照", "本子", "passport", "passports", "passpost", "pasport"),
    "travel_doc": ("旅行证", "旅行证件", "回国证明", "travel document", "travel certificate"),
    "visa": ("签证", "visa", "visas", "签", "办签", "入境签证", "签证中心"),
    "visa_page": ("签证页", "空白页", "页数", "页用完", "盖满", "盖满了", "pages", "blank pages"),
    "family_visa": ("q1", "q2", "q1签证", "q2签证", "探亲签证", "团聚签证", "探亲签"),
    "reunion": ("团聚", "家庭团聚", "团聚类", "reunion", "reunite", "family reunion"),
    "spouse": ("老公", "老婆", "丈夫", "妻子", "配偶", "爱人", "老伴", "前夫", "前妻", "husband", "wife", "spouse"),
    "reside": ("住", "居住", "住满", "生活", "长居", "连续居住", "live", "living", "lived", "reside", "residing"),
    "credential": ("证件", "有效证件", "身份证件", "身份证明", "identification", "id document", "id documents"),
    "daily_services": (
        "酒店", "住宿", "宾馆", "高铁", "火车", "坐火车", "火车票", "高铁票", "买票", "交通", "办事", "日常办事",
        "hotel", "hotels", "train", "trains", "check in",
    ),
    "foreign_pr": ("枫叶卡", "永住", "国外绿卡", "外国绿卡", "美国绿卡", "长期居留权", "居留权", "maple leaf card"),
    "business_trip": (
        "考察", "商务考察", "商务活动", "谈生意", "生意", "展会", "广交会", "交易会", "参展", "开会",
        "trade fair", "business trip", "business meeting", "meetings", "trade show",
    ),
    "income": ("收入", "工资", "薪水", "租金", "出租", "income", "salary", "rental", "rent", "rental income"),
    "academic": ("教授", "博士", "硕士", "研究员", "科学家", "学者", "博士后", "phd", "professor", "scientist", "scientists", "researcher"),
    "report_duty": ("报到", "报到证", "档案", "派遣", "就业报到"),
    "channel": ("渠道", "途径", "管道", "方式", "方法", "channel", "channels", "way", "ways"),
    "death": ("去世", "过世", "死亡", "病故", "逝世", "走了", "不在了", "passed away", "died", "death", "deceased"),
    "foreign_related": ("涉外", "跨国", "跨境", "international", "cross-border"),
    "emigrate": ("移民", "出国定居", "移居", "移居国外", "emigrate", "emigrated", "immigrate", "moved abroad", "move abroad"),
    "message": ("留言", "发消息", "提交", "咨询单", "问题单", "message", "submitted", "inquiry", "enquiry", "case"),
    "waiting": ("等了", "等很久", "好久", "这么久", "那么久", "还没", "一直没", "没消息", "still", "waiting", "haven't heard"),
    "protect": ("保护", "保障", "protect", "protection", "protected", "protecting"),
    "private_affairs": ("私人事务", "私人事务类"),
    "business_visa": ("m签证", "m字签证", "商务签证", "商务签", "business visa"),
    "talent_visa": ("r签证", "r字签证", "人才签证", "r visa", "人才确认函", "确认函"),
    "work_permit": (
        "工作许可", "工作证", "工作签证", "工作签", "z签证", "z字签证", "来华工作",
        "work permit", "work visa", "工作类居留",
    ),
    "visa_free": (
        "免签", "免签证", "免签入境", "不用签证", "不需要签证", "不用办签证", "无需签证",
        "visa free", "visa-free", "visa exemption", "without visa", "without a visa", "no visa",
    ),
    "transit": ("过境", "转机", "中转", "经停", "transit", "layover", "144小时", "240小时", "72小时"),
    "extend": ("延期", "延长", "续签", "延签", "延长停留", "extend", "extension", "prolong"),
    "overstay": ("逾期", "超期", "超时", "逾期居留", "黑下来", "overstay", "overstayed"),
    "stay": ("停留", "逗留", "待多久", "住多久", "呆多久", "停留期", "stay", "staying"),
    "residence_permit": ("居留许可", "居留证", "居留", "居留证件", "residence permit", "resident permit"),
    "permanent_residence": ("永久居留资格", 
        "绿卡", "永久居留", "永居", "永久居民", "永居证", "中国绿卡", "永久居留证", "永久居留权",
        "pr", "green card", "permanent residence", "permanent resident", "permanent residency", "永居权",
    ),
    "prc_card": ("五星卡", "永久居留身份证", "永居身份证", "新版永居证", "五星红旗卡", "five star card"),
    "hk_permit": (
        "回乡证", "港澳通行证", "港澳居民来往内地通行证", "回乡卡", "来往内地通行证",
        "home return permit", "home-return permit",
    ),
    "tw_permit": ("台胞证", "台湾居民来往大陆通行证", "台胞", "mainland travel permit"),
    "hk_macau_tw": ("港澳", "香港", "澳门", "台湾", "港澳台", "hong kong", "macau", "macao", "taiwan", "hk"),
    "id_card": ("身份证", "居民身份证", "二代证", "二代身份证", "id card", "identity card", "national id"),
    "hukou": ("户口", "户籍", "户口本", "户口簿", "hukou", "household registration"),
    "settle_hukou": ("落户", "上户口", "入户", "迁户口", "户口迁回", "迁回", "settle hukou"),
    "nationality": ("国籍", "中国籍", "中国国籍", "国藉", "citizenship", "nationality", "citizen"),
    "chinese_citizen": ("中国公民", "中国人", "华人", "chinese citizen", "chinese national", "chinese"),
    "foreigner": ("naturalize", "naturalise", "foreign",
        "外籍", "外籍华人", "外国人", "外国籍", "老外", "外籍人士", "外国公民", "入籍", "入了外籍",
        "加入外籍", "改了国籍", "换了国籍", "外国护照", "foreigner", "foreign national",
        "foreign citizen", "naturalized", "naturalised", "foreign passport",
    ),
    "dual_nationality": ("双重国籍", "双国籍", "两个国籍", "双籍", "dual nationality", "dual citizenship"),
    "renounce": ("退出", "放弃", "退籍", "注销国籍", "renounce", "give up", "renunciation"),
    "restore": ("恢复", "重新取得", "重新拿回", "拿回", "找回来", "恢复国籍", "restore", "regain", "reinstate"),
    "overseas_chinese": ("侨商", "侨资", "ethnic chinese", "chinese descent", "chinese origin", "of chinese descent", "华侨", "侨胞", "海外华人", "海外侨胞", "华裔", "overseas chinese", "huaqiao"),
    "returnee_family": ("归侨", "侨眷", "侨属", "眷属", "归侨侨眷", "returned overseas chinese"),
    "identity": ("身份", "身分", "status", "identity"),
    "certify": ("认定", "界定", "算不算", "算是", "怎么算", "算华侨", "属不属于", "属于", "determine", "qualify as"),
    "proof": ("证明", "开证明", "证明信", "证明书", "proof", "certificate", "certification"),
    # --- places, offices, channels ------------------------------------------------------
    "consulate": (
        "领事馆", "使馆", "大使馆", "总领馆", "领馆", "使领馆", "总领事馆", "领事", "驻外使领馆",
        "consulate", "embassy", "consular", "consulate general",
    ),
    "consular_app": ("中国领事app", "领事app", "中国领事", "领事服务app", "china consular app"),
    "app": ("app", "小程序", "手机应用", "客户端"),
    "police": ("报警", "警察", "警局", "报案", "警方", "police", "police report", "report to police"),
    "public_security": ("公安", "公安局", "派出所", "公安机关", "出入境管理局", "出入境管理机构", "出入境大厅"),
    "immigration": (
        "移民局", "国家移民管理局", "移民管理局", "出入境", "12367", "移民管理", "immigration",
        "national immigration administration", "nia",
    ),
    "customs": ("海关", "过关", "通关", "12360", "customs", "declare", "declaration", "申报"),
    "federation": ("侨联", "侨联会", "归国华侨联合会", "侨联组织", "中国侨联", "federation"),
    "hotline": ("热线", "本热线", "公众号", "这个号", "你们", "客服", "平台", "hotline", "this service", "you guys"),
    "qiaoban": ("侨办", "侨务", "侨务部门", "统战部", "侨务办公室", "qiaoban"),
    # --- actions and situations -------------------------------------------------------
    "lost": ("挂失", "唔见", "唔见咗", "冇咗", "不见咗", 
        "丢", "丢了", "丢失", "遗失", "弄丢", "搞丢", "不见了", "找不到", "被偷", "被盗", "偷了",
        "掉了", "丢掉", "lost", "lose", "stolen", "missing", "misplaced",
    ),
    "renew": ("convert", "conversion", "转换", 
        "换发", "更换", "换新", "换本", "换证", "换领", "换", "续", "更新", "换护照", "重新办",
        "renew", "renewal", "renewing", "replace", "replacement",
    ),
    "expire": ("到期", "过期", "快过期", "失效", "有效期", "快到期", "到期了", "expire", "expired", "expiring", "expiry"),
    "reissue": ("补", "重新办理", "补办", "补发", "重办", "补领", "补证", "reissue", "re-issue"),
    "apply": ("申请", "办理", "申办", "办", "办证", "apply", "application", "applying"),
    "cancel": ("注销", "销户", "取消", "被注销", "吊销", "销掉", "cancel", "deregister", "revoke"),
    "keep": ("保留", "保持", "不注销", "保住", "留着", "keep", "retain", "maintain"),
    "return": ("回国", "回来", "归国", "回中国", "回大陆", "回内地", "回去", "come back", "return", "go back"),
    "settle": ("定居", "长住", "长期居住", "落叶归根", "回国养老", "settle", "settle down", "live permanently"),
    "visit": (
        "探亲", "探望", "看望", "访友", "省亲", "探亲访友", "访问", "旅游", "旅行", "来华", "来中国",
        "visit", "visiting", "relatives visit", "tourism", "trip", "travel",
    ),
    "entry": ("入境", "进入中国", "入关", "进境", "entry", "enter", "entering", "arrive", "arrival"),
    "exit": ("出境", "离境", "出国", "出去", "exit", "leave china", "depart", "departure"),
    "child": ("青少年", "华裔青少年", "youth", "teen", "teenager", "teenagers", 
        "孩子", "小孩", "子女", "儿子", "女儿", "宝宝", "婴儿", "娃", "小朋友", "新生儿", "孙子", "孙女",
        "child", "children", "kid", "kids", "baby", "son", "daughter", "newborn",
    ),
    "born": ("出生", "生的", "生了", "生在", "出世", "刚生", "born", "birth"),
    "parent": ("爸", "妈", "爷爷", "奶奶", "外公", "外婆", "老人家", "grandparents", "父母", "爸妈", "爸爸", "妈妈", "父亲", "母亲", "老人", "parents", "parent", "father", "mother"),
    "relatives": ("兄弟", "姐妹", "弟弟", "哥哥", "姐姐", "妹妹", "家里人", "relative", "亲戚", "亲友", "家人", "家属", "亲属", "朋友", "relatives", "family", "friend", "friends"),
    "abroad": (
        "国外", "海外", "外国", "境外", "在外", "驻外", "国外的", "abroad", "overseas", "outside china",
        "美国", "加拿大", "英国", "澳洲", "澳大利亚", "新西兰", "德国", "法国", "意大利", "西班牙", "荷兰",
        "日本", "韩国", "新加坡", "马来西亚", "泰国", "印尼", "印度尼西亚", "菲律宾", "越南", "缅甸", "柬埔寨",
        "巴西", "阿根廷", "秘鲁", "南非", "俄罗斯", "葡萄牙", "比利时", "瑞士", "瑞典", "爱尔兰", "阿联酋", "迪拜",
        "温哥华", "多伦多", "纽约", "洛杉矶", "旧金山", "伦敦", "巴黎", "悉尼", "墨尔本", "东京", "大阪", "首尔",
        "吉隆坡", "曼谷", "雅加达", "马尼拉", "奥克兰", "米兰", "罗马", "马德里", "柏林", "法兰克福", "阿姆斯特丹",
        "芝加哥", "西雅图", "波士顿", "休斯顿", "蒙特利尔", "加州", "欧洲", "北美", "东南亚", "非洲", "南美",
        "vancouver", "toronto", "new york", "los angeles", "london", "paris", "sydney", "melbourne", "tokyo",
        "europe", "canada", "dutch", "german", "french", "italian", "spanish", "british", "american", "australian",
        "usa", "us", "the us", "america", "canada", "uk", "britain", "england", "australia", "new zealand",
        "germany", "france", "italy", "spain", "japan", "korea", "singapore", "malaysia", "thailand",
        "indonesia", "philippines", "brazil", "argentina", "south africa", "russia", "netherlands",
    ),
    "domestic": (
        "北京", "上海", "广州", "深圳", "福建", "广东", "浙江", "福州", "厦门", "温州", "青田", "江门", "台山", "汕头",
        "潮州", "梅州", "泉州", "海南", "云南", "广西", "江苏", "山东", "天津", "重庆", "成都", "杭州", "南京", "武汉",
        "国内", "中国", "在中国", "境内", "内地", "大陆", "老家", "家乡", "in china", "mainland", "china"),
    "local": ("当地", "本地", "所在地", "所在国", "住在国", "居住国", "local"),
    "urgent": (
        "紧急", "急事", "出事", "出事了", "危险", "求助", "救命", "emergency", "urgent", "help me", "danger",
    ),
    "crime": (
        "抢劫", "被抢", "抢了", "被打", "绑架", "诈骗", "被骗", "盗窃", "robbed", "robbery", "mugged",
        "kidnapped", "scam", "scammed",
    ),
    "accident": ("车祸", "事故", "受伤", "出车祸", "撞了", "accident", "injured", "car crash"),
    "detained": ("被拘留", "拘留", "被抓", "逮捕", "被捕", "关起来", "arrested", "detained", "jail", "prison"),
    "disaster": ("地震", "灾害", "海啸", "台风", "洪水", "战乱", "战争", "骚乱", "暴乱", "disaster", "earthquake", "war", "riot"),
    "consular_protection": (
        "领事保护", "领保", "领事协助", "12308", "领事保护与协助", "consular protection", "consular assistance",
    ),
    "notarize": (
        "公证", "公证书", "领事认证", "海牙", "附加证明书", "apostille", "双认证", "认证", "notarize",
        "notarized", "notarization", "notary", "legalization", "legalisation", "authentication", "authenticate",
    ),
    "document": ("文件", "证书", "文书", "出生证明", "出生纸", "结婚证", "document", "documents", "paperwork"),
    "poa": (
        "委托", "委托书", "授权", "授权书", "代办", "代理", "托人", "帮我办", "委托亲友", "power of attorney",
        "authorize", "authorise", "proxy", "on my behalf", "on behalf",
    ),
    # --- investment & business ----------------------------------------------------------
    "invest": ("投资", "投资者", "投资人", "注资", "入股", "invest", "investment", "investor", "investing"),
    "foreign_capital": ("内资", "wfoe", "wholly foreign-owned", "joint venture", "合资", "独资", "外国资本", "外资", "外商投资", "外商", "外国投资", "外资企业", "外企", "foreign investment", "foreign-invested"),
    "company": (
        "公司", "企业", "侨资企业", "侨企", "工厂", "开厂", "厂", "个体户", "company", "enterprise", "business", "firm",
    ),
    "register": ("市场监管", "市场监督管理局", "市场监管局", "工商", "工商局", "信息报告", "投资信息报告", "company registration", "注册", "登记", "设立", "成立", "开办", "开公司", "营业执照", "register", "registration", "set up", "establish", "incorporate"),
    "incentives": ("优惠", "优惠政策", "补贴", "扶持", "奖励", "减免", "政策支持", "补助", "incentive", "incentives", "subsidy", "subsidies", "preferential"),
    "negative_list": ("负面清单", "准入", "禁止", "限制", "哪些行业", "行业", "negative list", "restricted", "prohibited", "industry", "industries"),
    "treat_as": ("对待", "待遇", "视为", "视同", "按照", "算外资", "当作", "treat", "treated", "regarded"),
    "profit": ("利润", "分红", "股息", "红利", "收益", "profit", "profits", "dividend", "dividends"),
    "remit": ("汇到", "汇去", "汇过去", "repatriate", "sending money", "send back", "汇出", "汇款", "汇回", "转出", "汇到国外", "转账", "汇钱", "打钱", "remit", "remittance", "wire", "send money", "transfer money"),
    "forex": ("换成", "兑换", "limit", "converting", "五万", 
        "外汇", "结汇", "购汇", "换汇", "额度", "5万美元", "五万美元", "外币", "美元", "美金", "外汇管理局", "外管局",
        "foreign exchange", "forex", "currency", "quota", "usd",
    ),
    "tax": ("税", "税务", "纳税", "报税", "个税", "个人所得税", "缴税", "交税", "退税", "12366", "税收", "tax", "taxes", "taxation"),
    "ip": ("抢注", "品牌", "被抢注", "商标", "专利", "知识产权", "版权", "著作权", "trademark", "patent", "intellectual property", "copyright"),
    "dispute": ("纠纷", "争议", "矛盾", "合同纠纷", "欠款", "dispute", "conflict"),
    "rights": ("权益", "维权", "合法权益", "权利", "利益", "rights", "interests"),
    "infringe": ("补偿", "赔偿", "compensation", "强行", "被收走", "taken over", "侵害", "侵犯", "侵权", "侵占", "被占", "占用", "占", "占了", "霸占", "强拆", "拆迁", "欺负", "infringe", "infringed", "occupied", "demolition"),
    "lawsuit": ("官司", "打官司", "诉讼", "起诉", "仲裁", "法院", "告他", "判决", "lawsuit", "sue", "court", "arbitration", "litigation"),
    "complaint": ("投诉", "举报", "不满意", "差评", "抱怨", "complaint", "complain", "dissatisfied", "unhappy"),
    # --- talent, education ---------------------------------------------------------------
    "talent": ("引进", "人才计划", "人才", "高层次人才", "高端人才", "专家", "引进人才", "人才引进", "千人计划", "talent", "talents", "expert", "high-level"),
    "program": ("计划", "项目", "申报", "program", "programme", "scheme"),
    "startup": ("incubator", "创业补贴", "创业", "开公司", "办企业", "创业园", "孵化", "孵化器", "startup", "start-up", "start a business", "entrepreneur"),
    "job": ("聘用", "雇佣", "hire", "hired", "就业", "找工作", "求职", "工作", "上班", "招聘", "job", "jobs", "employment", "work", "career"),
    "returnee_student": ("留学生", "留学回国", "海归", "留学人员", "留学回国人员", "海归人员", "returnee", "returnees", "returning student"),
    "degree": ("博士学位", "硕士学位", "学士学位", "学历", "学位", "文凭", "毕业证", "学位证", "学历认证", "diploma", "degree", "degrees"),
    "verify": ("验证", "核实", "认可", "承认", "认不认", "verify", "verification", "recognize", "recognise", "recognition", "recognized"),
    "school": ("读小学", "读中学", "读初中", "上初中", "上高中", "primary school", "public school", 
        "上学", "入学", "读书", "学校", "小学", "中学", "初中", "高中", "国际学校", "转学", "插班", "幼儿园", "上小学",
        "school", "schooling", "enrol", "enroll", "kindergarten",
    ),
    "university": ("universities", "华侨生联考", 
        "大学", "高校", "考大学", "读大学", "本科", "研究生", "联考", "港澳台联考", "华侨生", "高考", "上大学", "报考",
        "university", "college", "admission", "gaokao", "undergraduate",
    ),
    "chinese_language": (
        "学中文", "学汉语", "中文学校", "华文学校", "华文教育", "中文", "汉语", "普通话", "华文", "learn chinese",
        "mandarin", "chinese school", "chinese language",
    ),
    "camp": ("夏令营", "冬令营", "寻根", "寻根之旅", "游学", "camp", "summer camp", "roots"),
    "scholarship": ("奖学金", "政府奖学金", "csc", "scholarship", "scholarships"),
    "study_abroad": ("留学", "来华留学", "求学", "study in china", "study", "studying", "student"),
    # --- law, family, property -----------------------------------------------------------
    "lawyer": ("律师", "法律援助", "法援", "法律咨询", "12348", "lawyer", "attorney", "legal aid", "legal advice"),
    "law": ("法律", "法规", "法", "法条", "law", "laws", "legal"),
    "inherit": ("继承", "遗产", "遗嘱", "遗赠", "继承权", "inherit", "inheritance", "estate", "a will"),
    "property": (
        "房子", "房产", "房屋", "住房", "老房子", "祖屋", "侨房", "房", "楼房", "商品房", "house", "property",
        "real estate", "apartment", "flat", "home",
    ),
    "homestead": ("宅基地", "祖屋", "侨房", "祖宅", "农村房子", "homestead"),
    "buy": ("买", "购买", "购房", "买房", "置业", "buy", "purchase", "buying"),
    "title_transfer": ("过户", "产权", "房产证", "不动产", "不动产权证", "title", "transfer ownership"),
    "marriage": ("结婚", "婚姻", "登记结婚", "娶", "嫁", "结婚登记", "marry", "marriage", "married", "wedding"),
    "divorce": ("离婚", "离婚诉讼", "协议离婚", "divorce", "divorced"),
    "custody": ("归谁", "跟谁", "抚养", "抚养权", "监护", "监护权", "抚养费", "custody", "child support", "guardianship"),
    "returnee_law": ("protection act", "归侨侨眷权益保护法", "权益保护法", "侨法", "保护法"),
    # --- daily life ----------------------------------------------------------------------
    "bank": ("银行", "银行卡", "开户", "账户", "储蓄卡", "银行账户", "借记卡", "bank", "bank account", "account"),
    "mobile_pay": ("绑卡", "绑定", "微信支付", "支付宝", "手机支付", "移动支付", "扫码", "付款", "alipay", "wechat pay", "mobile payment", "mobile pay", "payment"),
    "social_insurance": ("社保", "社会保险", "养老保险", "五险", "五险一金", "social security", "social insurance"),
    "pension": ("退休", "retire", "retired", "养老金", "退休金", "退休工资", "养老", "领退休金", "pension", "retirement"),
    "survival_cert": (
        "生存认证", "生存证明", "领取资格认证", "资格认证", "活着证明", "人脸识别", "刷脸", "认证养老金",
        "proof of life", "life certificate",
    ),
    "driving": (
        "驾照", "驾驶证", "驾驶执照", "开车", "车管所", "12123", "驾驶", "车本", "国际驾照",
        "driver license", "driving license", "driving licence", "drivers license", "driver's license", "drive", "driving", "license", "licence",
    ),
    "medical": ("报销", 
        "看病", "医保", "医疗", "医院", "生病", "就医", "医疗保险", "挂号", "住院", "看医生", "病了",
        "doctor", "hospital", "medical", "health insurance", "see a doctor", "sick",
    ),
    "insurance": ("保险", "insurance"),
    "phone_number": (
        "手机号", "电话号码", "手机号码", "手机卡", "电话卡", "sim卡", "停机", "销号", "保号", "号码", "手机",
        "phone number", "sim", "sim card", "mobile number", "cell phone",
    ),
    "real_name": ("实名", "实名认证", "实名制", "实名登记", "real name", "real-name"),
    # --- hotline itself ------------------------------------------------------------------
    "human": ("机器人", "robot", "bot", "talk to a person", "talk to someone", "人工", "真人", "人工客服", "转人工", "客服人员", "工作人员", "human", "real person", "agent", "staff", "operator"),
    "how_long": ("多久", "多长时间", "几天", "要多久", "什么时候", "何时", "多少天", "how long", "when"),
    "reply": ("回答", "回我", "回复", "答复", "回覆", "回音", "回应", "没人理", "没人回", "reply", "respond", "response", "answer", "get back"),
    "progress": ("进度", "进展", "处理到哪", "办到哪", "结果", "工单", "状态", "progress", "ticket", "case status", "status of"),
    "query": ("查询", "查", "查一下", "check", "track", "look up"),
    "privacy": ("第三方", "third party", "share", "泄漏", "保密", "隐私", "个人信息", "信息安全", "泄露", "个人资料", "数据", "privacy", "personal information", "personal data", "data"),
    "join": ("加入", "入会", "会员", "成为会员", "参加", "参与", "join", "member", "membership"),
    "activity": ("活动", "联谊", "联谊会", "event", "events", "activities", "activity"),
    "scope": (
        "能做什么", "能帮", "干什么的", "做什么", "咨询什么", "哪些问题", "服务范围", "业务范围", "能问什么", "帮什么",
        "what can you do", "what do you do", "services", "scope",
    ),
    "contact": ("联络", "talk", "联系", "联系方式", "联系电话", "怎么联系", "电话", "打电话", "contact", "call", "phone"),
    # --- generic qualifiers (low weight through IDF) ------------------------------------
    "conditions": ("条件", "要求", "资格", "门槛", "符合", "够不够", "eligible", "eligibility", "requirement", "requirements", "qualify"),
    "process": ("流程", "手续", "步骤", "程序", "procedure", "process", "steps", "formalities"),
    "materials": ("材料", "资料", "准备什么", "需要什么材料", "带什么", "required documents", "materials"),
    "where": ("哪里", "在哪", "去哪", "哪个部门", "找谁", "什么部门", "哪儿", "where", "which office"),
    "cost": ("费用", "多少钱", "收费", "价格", "花多少", "fee", "fees", "cost", "price", "how much"),
    "policy": ("政策", "规定", "法规政策", "policy", "policies", "rule", "rules", "regulation", "regulations"),
    "cash": ("现金", "人民币", "钱", "cash", "money", "rmb"),
    "medicine": ("药", "药品", "药物", "保健品", "中药", "medicine", "medicines", "drugs", "medication"),
    "goods": ("物品", "东西", "行李", "携带", "带", "goods", "items", "luggage", "carry", "bring"),
    "long_term": ("长期", "永久", "long term", "long-term", "permanently"),
}

# Words that carry no topic: dropped after segmentation.
STOPWORDS: frozenset[str] = frozenset(
    """
    的 了 吗 呢 吧 啊 呀 哦 喔 哈 嘛 么 啦 哇 我 我们 你 您 他 她 它 他们 是 在 要 想 能 可以 可不可以 能不能
    怎么 怎么办 怎样 怎么样 如何 什么 哪些 有 有没有 没有 没 一下 这个 那个 这 那 和 与 及 或 或者 还 还是 就
    都 也 会 需要 得 请 问 帮 个 一个 吗 现在 已经 时候 如果 因为 所以 但是 可是 然后 该 应该 去 到 给 让 被
    对 从 把 用 跟 上 下 里 中 后 前 再 又 很 太 比较 一些 一点 自己 我家 我的 你们的 些 哪 谁 为什么 多
    能否 是否 可否 要不要 需不需要 用不用 该怎么 怎么弄 怎么做 要怎么 如何办理 怎么样才能 有关 关于 相关 问题 事 事情 情况 之类 等 等等 行 不行 可 吗 嘛 呗 咋 咋办 咋整 啥 么样 着 过 地
    i me my mine we our you your he she his her they their it its the a an to in on at of for from with by
    is are was were be been being am do does did doing done can could would should will shall may might must
    how what which who whom why if or and but so as about any some this that these those there here have has
    had get got please hi hello thanks thank not no yes just also need needs want wants like one
    """.split()
)

# Politeness and hesitation that voice messages are full of; removed before matching.
FILLERS: tuple[str, ...] = (
    "麻烦问一下", "麻烦问下", "想问一下", "想问下", "请问一下", "请问下", "问一下", "问下", "咨询一下", "咨询下",
    "我想咨询", "我想问", "想咨询", "想了解一下", "了解一下", "打扰一下", "打扰了", "不好意思", "麻烦您", "麻烦你",
    "麻烦了", "麻烦", "请问", "你好", "您好", "你們好", "大家好", "谢谢你", "谢谢您", "谢谢", "多谢", "感谢",
    "老师", "同志", "工作人员你好", "那个", "就是说", "就是", "然后", "嗯嗯", "嗯", "呃", "额", "哎", "唉",
    "啊", "哦", "喂", "在吗", "在不在", "hello", "hi", "please", "thanks", "thank you",
)

GREETINGS: tuple[str, ...] = (
    "你好", "您好", "你们好", "大家好", "在吗", "在不在", "有人吗", "有人在吗", "哈喽", "嗨", "喂", "早上好",
    "上午好", "中午好", "下午好", "晚上好", "早", "早安", "hello", "hi", "hey", "good morning",
    "good afternoon", "good evening", "老师好", "工作人员你好", "打扰了", "打扰一下",
)
THANKS: tuple[str, ...] = (
    "谢谢", "谢谢你", "谢谢您", "多谢", "感谢", "非常感谢", "太感谢了", "谢了", "thx", "thanks", "thank you",
    "3q", "好的谢谢", "好的", "好", "明白了", "知道了", "收到", "ok", "okay", "辛苦了", "麻烦了", "👍", "🙏",
)
BYES: tuple[str, ...] = ("再见", "拜拜", "拜", "回头见", "bye", "goodbye", "bye bye", "88", "晚安")
