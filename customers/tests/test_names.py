"""Customer name keys: the pinyin of a name is converted word by word, each word's syllables kept once converted."""
import unicodedata

import pytest
from pypinyin import lazy_pinyin

from customers.services.names import name_key, pinyin_keys

NAMES = [
    "重庆长安汽车股份有限公司", "中国重型机械有限公司", "长沙银行", "银行行长", "行知教育咨询有限公司", "乐山乐器行",
    "北京abc科技123有限公司", "ａｂｃ北京　信息科技有限公司", "Co., Ltd. 3M 中国", "〇一二三贸易", "厦门·鹭岛（集团）公司", "",
]


def _whole_name(name: str) -> tuple[str, str]:
    """pypinyin's own conversion of the whole name in one call, as the keys were computed before."""
    text = unicodedata.normalize("NFKC", name).lower()
    syllables = [s for s in lazy_pinyin(text, errors=lambda chars: [c for c in chars if c.isalnum()]) if s]
    return "".join(syllables)[:400], "".join(s[0] for s in syllables)[:100]


@pytest.mark.parametrize("name", NAMES)
def test_pinyin_keys_equal_pypinyins_conversion_of_the_whole_name(name):
    assert pinyin_keys(name) == _whole_name(name)


def test_a_word_kept_from_one_name_does_not_change_the_reading_of_its_characters_in_another():
    # 行 reads hang in 银行 and 行长 but xing in 行知; 长 chang in 长沙 but zhang in 行长; 重 chong in 重庆, zhong in 重型
    for name in NAMES * 2:  # the second time every word comes from what the first kept
        pinyin_keys(name)
    assert pinyin_keys("长沙银行") == ("changshayinhang", "csyh")
    assert pinyin_keys("银行行长")[0] == "yinhanghangzhang"
    assert pinyin_keys("行知教育")[0] == "xingzhijiaoyu"
    assert pinyin_keys("重庆重型机械")[0] == "chongqingzhongxingjixie"
    assert pinyin_keys("北京abc科技123") == ("beijingabckeji123", "bjabckj123")


def test_name_key_drops_spaces_punctuation_and_legal_forms():
    assert name_key("北京 信息科技股份有限公司") == "北京信息科技"
    assert name_key("ＡＢＣ Co., Ltd.") == "abc"
    assert name_key("厦门·鹭岛（集团）有限公司") == "厦门鹭岛"  # 有限公司, then 集团
    assert name_key("公司") == "公司"  # a name that is only a legal form keeps it
