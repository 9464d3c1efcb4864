"""Words the bot says. Kept together so staff can review the tone in one place; Simplified Chinese, converted
to Traditional on the way out for followers who write in Traditional (``faq.script.to_traditional``).

The command words these texts mention (“人工”, “查询”, “菜单”) come from ``config/command_words.yaml`` and the
topic menu from ``config/topic_menu.yaml``, so a text never tells users to type a word the bot ignores.
"""

from __future__ import annotations

from handlers.commands import word
from handlers.menu import menu_text

HUMAN = word("human")
STATUS = word("status")
MENU = word("menu")
MORE = word("more")

TOPIC_MENU = menu_text()

WELCOME = (
    "您好，欢迎关注侨联为侨服务热线！\n"
    "我可以解答以下方面的常见问题：\n"
    f"{TOPIC_MENU}\n"
    "请直接输入您的问题，例如“在国外护照丢了怎么办”。\n"
    f"我答不了的问题，回复“{HUMAN}”即可留言，工作人员将在2个工作日内答复。"
)

GREETING = (
    "您好！我是侨联为侨服务热线的智能助手。\n"
    "请直接输入您的问题，例如“在国外护照快到期了怎么换”。\n"
    f"回复“{MENU}”查看可咨询的事项，回复“{HUMAN}”给工作人员留言。"
)

THANKS = "不客气！如还有其他问题，欢迎随时留言。"
BYE = "感谢您的咨询，祝您一切顺利！如有需要，欢迎随时留言。"

# Junk, emoji, chit-chat and plainly off-topic messages: no ticket, a short way forward.
HELP = (
    "抱歉，我没有看懂您的意思。我可以解答侨务方面的常见问题：\n"
    f"{TOPIC_MENU}\n"
    f"回复序号查看常见问题，或直接输入您的问题；需要工作人员答复，请回复“{HUMAN}”并说明您的问题。"
)
OFF_TOPIC = (
    "抱歉，这个问题不在侨联为侨服务热线的服务范围内。我可以解答出入境、国籍身份、投资、教育、"
    f"法律援助等侨务问题；回复“{MENU}”查看可咨询的事项，需要工作人员答复请回复“{HUMAN}”并说明您的问题。"
)
# After the reply to a request the hotline does not serve (config/out_of_scope_intents.yaml), with or without
# the KB entries the matcher found related (ALSO_SEE, numbered).
OUT_OF_SCOPE_CHOICES_FOOTER = "回复序号查看答案。"
OUT_OF_SCOPE_FOOTER = f"如仍需工作人员答复，请回复“{HUMAN}”并说明您的问题。"
# The one question back when the bot cannot tell whether a message is a request for staff.
CONFIRM_HANDOVER = (
    "这个问题我暂时没有找到答案。需要转给工作人员吗？回复 1 确认，工作人员将在2个工作日内答复；也可以换个说法再问一次。"
)
CONFIRM_DROPPED = f"好的，没有转给工作人员。您可以直接输入问题，或回复“{MENU}”查看可咨询的事项。"
ALSO_SEE = "您也可以先看看："

VOICE_NOT_RECOGNISED = "抱歉，这条语音没能识别出文字。请您用文字输入问题，我会尽快为您解答。"

MEDIA_NOT_SUPPORTED = {
    "image": (
        "已收到您的图片。目前我只能读懂文字问题，请用文字描述您要咨询的事项；"
        f"需要工作人员看图片的，请先回复“{HUMAN}”并说明问题，再发送图片。"
    ),
    "video": (
        "已收到您的视频。目前我只能读懂文字问题，请用文字描述您要咨询的事项；"
        f"需要工作人员看视频的，请先回复“{HUMAN}”并说明问题，再发送视频。"
    ),
    "shortvideo": (
        "已收到您的视频。目前我只能读懂文字问题，请用文字描述您要咨询的事项；"
        f"需要工作人员看视频的，请先回复“{HUMAN}”并说明问题，再发送视频。"
    ),
    "location": "已收到您的位置。如需了解当地办事渠道，请用文字描述您的问题，例如“在德国怎么换护照”。",
    "link": "已收到您分享的链接。我暂时无法阅读链接内容，请用文字说明您想咨询的问题。",
    "file": (
        "已收到您的文件。我暂时无法阅读文件，请用文字说明您想咨询的问题；"
        f"需要提交材料的，请先回复“{HUMAN}”并说明问题，再发送文件。"
    ),
}
# The same file kept for a hand-over (tickets.earlier_media): {minutes} is QIAOBOT_HANDOVER_MEDIA_WINDOW_MINUTES.
MEDIA_KEPT = {
    "image": (
        "已收到您的图片。目前我只能读懂文字问题，请用文字描述您要咨询的事项；"
        f"需要工作人员看图片的，请在{{minutes}}分钟内回复“{HUMAN}”并说明问题，图片会一并转交。"
    ),
    "video": (
        "已收到您的视频。目前我只能读懂文字问题，请用文字描述您要咨询的事项；"
        f"需要工作人员看视频的，请在{{minutes}}分钟内回复“{HUMAN}”并说明问题，视频会一并转交。"
    ),
    "shortvideo": (
        "已收到您的视频。目前我只能读懂文字问题，请用文字描述您要咨询的事项；"
        f"需要工作人员看视频的，请在{{minutes}}分钟内回复“{HUMAN}”并说明问题，视频会一并转交。"
    ),
    "file": (
        "已收到您的文件。我暂时无法阅读文件，请用文字说明您想咨询的问题；"
        f"需要提交材料的，请在{{minutes}}分钟内回复“{HUMAN}”并说明问题，文件会一并转交。"
    ),
    "voice": (
        "抱歉，这条语音没能识别出文字。请您用文字输入问题；"
        f"需要工作人员听这条语音的，请在{{minutes}}分钟内回复“{HUMAN}”，语音会一并转交。"
    ),
}
UNKNOWN_MESSAGE = f"抱歉，暂不支持这种消息。请用文字输入您的问题，或回复“{MENU}”查看可咨询的事项。"

SUGGEST_HEADER = "您是不是想问："
SUGGEST_FOOTER = f"请回复序号查看答案；都不是的话，请换个说法或回复“{HUMAN}”留言。"
TOPIC_LIST_FOOTER = "请回复序号查看答案，或直接输入您的问题。"
NO_CHOICE = f"这个序号已失效或不在列表中。请直接输入您的问题，或回复“{MENU}”查看可咨询的事项。"
MENU_HEADER = "可咨询的事项："
MENU_FOOTER = "回复序号查看常见问题，或直接输入您的问题。"
EMPTY_GROUP = "这一类暂时没有常见问题，请直接输入您的问题。"

FALLBACK_NO_DESK = (
    "抱歉，这个问题我暂时答不了。\n"
    "出入境问题可拨打国家移民管理局12367服务热线；在海外遇到紧急情况，请联系外交部全球领事保护与服务应急热线"
    "+86-10-12308 或当地使领馆。"
)
NO_DESK_STATUS = "目前没有进行中的留言。"

MORE_HINT = f"（内容较长，回复“{MORE}”查看余下部分）"
NO_MORE = "没有更多内容了。请直接输入您的新问题。"

# The help desk's messages (tickets/desk.py); {number} and {due} are filled in there.
HANDOVER_CREATED = (
    "您的问题已转交工作人员，留言编号 {number}。\n"
    "我们将在{due}前答复（2个工作日内，遇节假日顺延）。\n"
    f"如需补充，直接发送即可；回复“{STATUS}”可查看进度。"
)
HANDOVER_ALREADY_OPEN = "您的留言（编号 {number}）正在由工作人员处理，我们将在{due}前答复。如需补充，直接发送即可。"
HANDOVER_ASK_QUESTION = "好的，请直接描述您要咨询的问题（可以分几条发送），我们会转给工作人员，并在2个工作日内答复。"
HANDOVER_FILES_WILL_JOIN = "您刚才发送的{files}会随问题一并转交。"
HANDOVER_FILES_JOINED = "您此前发送的{files}已一并转交。"
APPENDED = "已补充到您的留言（编号 {number}）中，工作人员会一并答复。"
APPENDED_AGAIN = "已补充到您的留言（编号 {number}）中。"
REOPENED = "已收到您对留言 {number} 的追问，我们将在{due}前答复。"
STATUS_NONE = f"您目前没有留言记录。如需人工答复，请回复“{HUMAN}”。"
STATUS_HEADER = "您最近的留言："
STATE_NAMES = {"open": "处理中", "waiting": "待您补充", "answered": "已答复", "closed": "已关闭"}
STAFF_ANSWER = "您好，您的留言（编号 {number}）已有答复：\n\n{answer}\n\n如还有疑问，请直接回复。"
# The template notice's status field (a ``thing``: at most 20 characters since WeChat's 2023 rules, which
# also dropped the first/remark lines): the answer itself is behind the link, and comes when the user writes.
ANSWER_NOTICE_STATUS = "已答复，点击查看全文"
