#!/usr/bin/env python3
"""Builds the language-model pack's training corpus from offline sources.

Two steps, with tokenize-corpus.ts between them (docs/lm-pack.md has the commands):

  extract  reads the sources (git snapshots of public repositories, npm packages), cleans them
           to prose, removes duplicate paragraphs and writes build/docs.jsonl: one document a
           line with its source, genre, licence and group (the book or file it came from).
  pack     after tokenize-corpus.ts has tokenised docs.jsonl with the bundled pack's tokenizer,
           balances the genres within a token budget, holds out whole groups for validation,
           and writes the committed artefact: corpus/tokens.u16.xz (every document as BOS +
           token ids, uint16 little-endian), corpus/index.json (document table) and
           corpus/manifest.json (words and tokens by source, genre and licence).

Only the standard library is used, so the corpus can be rebuilt on any machine with Python 3.
Nothing in the committed artefact comes from detect-v1, detect-v2 or detect-v3: see
docs/lm-pack.md for why, and for the optional detect-v1 train human side (--detect-v1-train),
which goes to a gitignored file instead.
"""
import argparse
import hashlib
import html
import io
import json
import lzma
import os
import re
import subprocess
import sys
import unicodedata
import zipfile
from collections import Counter, defaultdict

HERE = os.path.dirname(os.path.abspath(__file__))
BUILD = os.path.join(HERE, "build")
CORPUS = os.path.join(HERE, "corpus")

GENRES = ["fiction", "news", "essays", "reviews", "forum_web", "letters_speeches", "encyclopedic", "documentation"]

# Licences as the sources state them (nltk_data's index entries and the corpora's READMEs).
LIC = {
    "gutenberg": "public domain in the USA (Project Gutenberg texts; the Gutenberg licence header and footer are removed)",
    "brown": "Brown Corpus (1961 American English): 'May be used for non-commercial purposes' (nltk_data index)",
    "masc": "MASC 500K: 'may be used for the purposes of linguistic education, research, and development, including commercial development' (nltk_data index)",
    "movie_reviews": "CC BY 4.0 (Pang & Lee, Sentiment Polarity Dataset v2.0; nltk_data index)",
    "product_reviews": "CC BY 4.0 (Hu & Liu 2004 customer reviews; nltk_data index)",
    "pros_cons": "CC BY 4.0 (Ganapathibhotla & Liu 2008; nltk_data index)",
    "abc": "no licence stated (ABC Australia rural and science news 2006, distributed with nltk_data for research)",
    "webtext": "no licence stated (nltk_data web text: public web postings 2005-06, distributed for research)",
    "inaugural": "public domain (US presidential inaugural addresses; nltk_data index)",
    "ieer": "no licence stated (NIST IE-ER 1998 newswire sample, distributed with nltk_data)",
    "detect-v1-train": "detect-v1 train split, human side: underlying corpora's terms (shared/data/detect-v1/README.md); never committed",
}
REDISTRIBUTABLE = {"gutenberg", "masc", "movie_reviews", "product_reviews", "pros_cons", "inaugural"}

STOP = set("the and of to a in that is was he for it with as his on be at by i had not are but from or have an they which you were her she".split())


def english(text):
    words = re.findall(r"[A-Za-z']+", text[:20000].lower())
    return len(words) > 50 and sum(w in STOP for w in words) / len(words) > 0.25


def norm_ws(s):
    return re.sub(r"[ \t\u00a0]+", " ", s).strip()


def clean_text(s):
    s = unicodedata.normalize("NFC", s)
    s = s.replace("\r\n", "\n").replace("\r", "\n")
    s = re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", "", s)
    paras = [norm_ws(p.replace("\n", " ")) for p in re.split(r"\n\s*\n", s)]
    return "\n\n".join(p for p in paras if p)


def prose_paragraph(p):
    letters = sum(c.isalpha() for c in p)
    return len(p) >= 20 and letters / max(1, len(p)) > 0.6


def chunks(paras, target_words):
    """Paragraph-aligned pieces of about target_words words."""
    cur, n = [], 0
    for p in paras:
        cur.append(p)
        n += len(p.split())
        if n >= target_words:
            yield "\n\n".join(cur)
            cur, n = [], 0
    if cur and n >= 40:
        yield "\n\n".join(cur)


# --- detokenisers for the tagged, tokenised corpora ---------------------------------------------

NO_SPACE_BEFORE = re.compile(r"^([.,;:!?%)\]}]+|'s|'S|n't|N'T|'re|'ve|'ll|'d|'m|\.\.\.)$")


def detok(tokens):
    """Joins Penn-style tokens back into text (no space before closing punctuation and clitics)."""
    out = []
    attach = True
    dq_open = True
    for t in tokens:
        space = not attach
        attach = False
        if t == "``" or (t == '"' and dq_open):
            t, attach = "\u201c", True
            dq_open = False
        elif t == "''" or t == '"':
            t, space = "\u201d", False
            dq_open = True
        elif t in ("(", "[", "{", "$"):
            attach = True
        elif NO_SPACE_BEFORE.match(t):
            space = False
        if space and out:
            out.append(" ")
        out.append(t)
    return "".join(out)


def brown_docs(root):
    cats = {}
    for line in open(os.path.join(root, "cats.txt"), encoding="latin-1"):
        f, c = line.split()
        cats[f] = c
    gmap = {"news": "news", "editorial": "essays", "reviews": "reviews", "religion": "essays", "hobbies": "encyclopedic",
            "lore": "encyclopedic", "belles_lettres": "essays", "government": "encyclopedic", "learned": "encyclopedic",
            "fiction": "fiction", "mystery": "fiction", "science_fiction": "fiction", "adventure": "fiction",
            "romance": "fiction", "humor": "fiction"}
    for f in sorted(cats):
        raw = open(os.path.join(root, f), encoding="latin-1").read()
        paras = []
        for block in re.split(r"\n\s*\n", raw):
            toks = [w.rsplit("/", 1)[0] for w in block.split() if "/" in w]
            if toks:
                paras.append(detok(toks))
        text = "\n\n".join(p for p in paras if p)
        yield dict(source="brown", group=f"brown-{f}", genre=gmap[cats[f]], text=text)


def masc_docs(root):
    cats = {}
    for line in open(os.path.join(root, "categories.txt"), encoding="utf-8"):
        parts = line.split()
        if len(parts) >= 2:
            cats[parts[0]] = parts[1]
    gmap = {"blog": "forum_web", "email": "forum_web", "essays": "essays", "ficlets": "fiction", "fiction": "fiction",
            "govt-docs": "encyclopedic", "jokes": "forum_web", "journal": "encyclopedic", "letters": "letters_speeches",
            "movie-script": "fiction", "newspaper": "news", "non-fiction": "encyclopedic", "technical": "documentation",
            "travel-guides": "encyclopedic", "twitter": "forum_web", "court-transcript": "letters_speeches",
            "debate-transcript": "letters_speeches", "face-to-face": "letters_speeches", "telephone": "letters_speeches"}
    for f, c in sorted(cats.items()):
        if c not in gmap or not os.path.exists(os.path.join(root, f)):
            continue
        raw = open(os.path.join(root, f), encoding="utf-8", errors="replace").read()
        paras = []
        for line in raw.split("\n"):
            toks = [w.rsplit("_", 1)[0] for w in line.split() if "_" in w]
            if toks:
                paras.append(detok(toks))
        yield dict(source="masc", group=f"masc-{os.path.basename(f)}", genre=gmap[c], text="\n\n".join(paras))


def movie_review_docs(root):
    for pol in ("neg", "pos"):
        for f in sorted(os.listdir(os.path.join(root, pol))):
            lines = open(os.path.join(root, pol, f), encoding="utf-8").read().split("\n")
            text = " ".join(detok(l.split()) for l in lines if l.strip())
            # The corpus is lower-cased; sentence starts are restored, names are not.
            text = re.sub(r"(^|[.!?] )([a-z])", lambda m: m.group(1) + m.group(2).upper(), text)
            text = re.sub(r"\bi\b", "I", text)
            yield dict(source="movie_reviews", group=f"movie-{pol}-{f}", genre="reviews", text=text)


def product_review_docs(roots):
    for root in roots:
        for f in sorted(os.listdir(root)):
            if not f.endswith(".txt") or f.lower().startswith("readme"):
                continue
            reviews, cur = [], []
            for line in open(os.path.join(root, f), encoding="latin-1"):
                if line.startswith("[t]"):
                    if cur:
                        reviews.append(cur)
                    cur = []
                elif "##" in line:
                    s = line.split("##", 1)[1].strip()
                    if s:
                        cur.append(detok(s.split()))
            if cur:
                reviews.append(cur)
            for i, r in enumerate(reviews):
                text = " ".join(r)
                text = re.sub(r"(^|[.!?] )([a-z])", lambda m: m.group(1) + m.group(2).upper(), text)
                text = re.sub(r"\bi\b", "I", text)
                if len(text.split()) >= 30:
                    yield dict(source="product_reviews", group=f"product-{os.path.basename(root)}-{f}", genre="reviews", text=text)


def line_docs(path, source, group, genre, words, min_line_words=1):
    lines = [norm_ws(l) for l in open(path, encoding="latin-1").read().split("\n")]
    lines = [l for l in lines if len(l.split()) >= min_line_words]
    for i, t in enumerate(chunks(lines, words)):
        yield dict(source=source, group=group, genre=genre, text=t)


def abc_docs(root):
    for f, genre in (("rural.txt", "news"), ("science.txt", "news")):
        lines = [norm_ws(l) for l in open(os.path.join(root, f), encoding="latin-1").read().split("\n")]
        # Stories are a headline (no final stop) followed by sentences.
        story, stories = [], []
        for l in lines:
            if not l:
                continue
            if not re.search(r"[.!?\"']$", l) and len(l.split()) < 16 and story:
                stories.append(story)
                story = []
            story.append(l)
        if story:
            stories.append(story)
        for i, s in enumerate(stories):
            if len(s) >= 3:
                yield dict(source="abc", group=f"abc-{f}-{i // 50}", genre=genre, text=s[0] + "\n\n" + " ".join(s[1:]))


def ieer_docs(root):
    for f in sorted(os.listdir(root)):
        if f.upper().startswith("README"):
            continue
        raw = open(os.path.join(root, f), encoding="latin-1").read()
        for i, body in enumerate(re.findall(r"<TEXT>(.*?)</TEXT>", raw, re.S)):
            text = norm_ws(re.sub(r"<[^>]+>", "", body).replace("\n", " "))
            if len(text.split()) > 60:
                yield dict(source="ieer", group=f"ieer-{f}", genre="news", text=text)


def inaugural_docs(root):
    for f in sorted(os.listdir(root)):
        if f.endswith(".txt"):
            text = clean_text(open(os.path.join(root, f), encoding="latin-1").read())
            yield dict(source="inaugural", group=f"inaugural-{f}", genre="letters_speeches", text=text)


GUTENBERG_GENRE = {"classics": "fiction", "childrens_literature": "fiction", "science_fiction": "fiction", "drama": "fiction",
                   "poetry": "fiction", "essays": "essays", "philosophy": "essays", "specialized_texts": "encyclopedic"}
GUTENBERG_BY_NAME = {"frederick_douglass": "letters_speeches", "olaudah_equiano": "letters_speeches", "my_life_vol1": "letters_speeches",
                     "souls_of_black_folk": "essays", "walden": "essays", "simple_sabotage": "documentation",
                     "art_of_war": "encyclopedic", "peloponnesian_war": "encyclopedic", "how_the_other_half_lives": "encyclopedic"}


def gutenberg_body(raw):
    s = raw.replace("\r\n", "\n")
    m = re.search(r"\*\*\* ?START OF (THE|THIS) PROJECT GUTENBERG[^\n]*\n", s, re.I)
    if m:
        s = s[m.end():]
    m = re.search(r"\*\*\* ?END OF (THE|THIS) PROJECT GUTENBERG", s, re.I)
    if m:
        s = s[:m.start()]
    s = re.sub(r"(?im)^\s*(produced by|transcriber'?s? note|e-?text prepared by)[^\n]*(\n[^\n]+)*", "", s)
    s = re.sub(r"_([^_\n]+)_", r"\1", s)  # _italics_
    s = re.sub(r"\[Illustration[^\]]*\]", "", s)
    return s


def gutenberg_docs(gitdir, prefix="library/content/literature/"):
    ls = subprocess.run(["git", "--git-dir", gitdir, "ls-tree", "-r", "-l", "HEAD", prefix], capture_output=True, text=True, check=True).stdout
    for line in ls.splitlines():
        meta, path = line.split("\t", 1)
        size = meta.split()[3]
        if not path.endswith(".txt") or size == "-" or not size.isdigit() or int(size) < 20000:
            continue
        cat = path[len(prefix):].split("/")[0]
        name = os.path.basename(path)[:-4]
        genre = GUTENBERG_BY_NAME.get(name) or GUTENBERG_GENRE.get(cat)
        if not genre:
            continue
        blob = subprocess.run(["git", "--git-dir", gitdir, "show", f"HEAD:{path}"], capture_output=True, check=True).stdout
        raw = blob.decode("utf-8", errors="replace")
        if "Project Gutenberg" not in raw[:5000] or not english(gutenberg_body(raw)):
            continue
        body = clean_text(gutenberg_body(raw))
        paras = [p for p in body.split("\n\n") if prose_paragraph(p) or (genre == "fiction" and len(p) >= 20)]
        for i, t in enumerate(chunks(paras, 1500)):
            yield dict(source="gutenberg", group=f"gutenberg-{name}", genre=genre, text=t, title=name)


def detect_v1_docs(path):
    for line in open(path, encoding="utf-8"):
        r = json.loads(line)
        if r.get("label") == "human":
            yield dict(source="detect-v1-train", group=f"detect-v1-{r.get('pair', r['id'])}",
                       genre={"news": "news", "wikipedia": "encyclopedic", "creative_writing": "fiction", "biomedical": "encyclopedic",
                              "student_essay": "essays"}.get(r.get("domain"), "essays"), text=clean_text(r["text"]))


def extract(args):
    os.makedirs(BUILD, exist_ok=True)
    nltk = os.path.join(BUILD, "nltk")
    os.makedirs(nltk, exist_ok=True)
    wanted = ["brown", "masc_tagged", "movie_reviews", "product_reviews_1", "product_reviews_2", "abc", "webtext", "inaugural", "ieer"]
    rev = subprocess.run(["git", "--git-dir", args.nltk_data, "rev-parse", "HEAD"], capture_output=True, text=True, check=True).stdout.strip()
    for c in wanted:
        blob = subprocess.run(["git", "--git-dir", args.nltk_data, "show", f"HEAD:packages/corpora/{c}.zip"], capture_output=True, check=True).stdout
        zipfile.ZipFile(io.BytesIO(blob)).extractall(nltk)
    grev = subprocess.run(["git", "--git-dir", args.gutenberg, "rev-parse", "HEAD"], capture_output=True, text=True, check=True).stdout.strip()

    gens = [
        brown_docs(os.path.join(nltk, "brown")),
        masc_docs(os.path.join(nltk, "masc_tagged")),
        movie_review_docs(os.path.join(nltk, "movie_reviews")),
        product_review_docs([os.path.join(nltk, "product_reviews_1"), os.path.join(nltk, "product_reviews_2")]),
        abc_docs(os.path.join(nltk, "abc")),
        line_docs(os.path.join(nltk, "webtext", "firefox.txt"), "webtext", "webtext-firefox", "forum_web", 250, 3),
        line_docs(os.path.join(nltk, "webtext", "overheard.txt"), "webtext", "webtext-overheard", "forum_web", 250),
        line_docs(os.path.join(nltk, "webtext", "singles.txt"), "webtext", "webtext-singles", "forum_web", 250),
        line_docs(os.path.join(nltk, "webtext", "wine.txt"), "webtext", "webtext-wine", "reviews", 250),
        line_docs(os.path.join(nltk, "webtext", "pirates.txt"), "webtext", "webtext-pirates", "fiction", 400),
        inaugural_docs(os.path.join(nltk, "inaugural")),
        ieer_docs(os.path.join(nltk, "ieer")),
        gutenberg_docs(args.gutenberg),
    ]
    private = []
    if args.detect_v1_train:
        private.append(detect_v1_docs(args.detect_v1_train))

    seen = set()
    stats = Counter()

    def dedupe(doc):
        keep = []
        for p in doc["text"].split("\n\n"):
            key = hashlib.sha1(re.sub(r"\W+", "", p.lower()).encode()).digest()[:10]
            if len(p) > 60 and key in seen:
                stats["duplicate_paragraphs"] += 1
                continue
            seen.add(key)
            keep.append(p)
        doc["text"] = "\n\n".join(keep)
        return doc if len(doc["text"].split()) >= 30 else None

    def write(path, gens_):
        n = 0
        with open(path, "w", encoding="utf-8") as out:
            for g in gens_:
                for d in g:
                    d["text"] = unicodedata.normalize("NFC", d["text"]).strip()
                    d = dedupe(d)
                    if d is None:
                        stats["short_or_empty_docs"] += 1
                        continue
                    d["licence"] = LIC[d["source"]]
                    d["words"] = len(d["text"].split())
                    out.write(json.dumps(d, ensure_ascii=False) + "\n")
                    n += 1
        return n

    n = write(os.path.join(BUILD, "docs.jsonl"), gens)
    m = write(os.path.join(BUILD, "private-docs.jsonl"), private) if private else 0
    with open(os.path.join(BUILD, "extract.json"), "w") as f:
        json.dump({"docs": n, "private_docs": m, "nltk_data_commit": rev, "gutenberg_commit": grev, **stats}, f, indent=1)
    print(json.dumps({"docs": n, "private_docs": m, **stats}))


def pack(args):
    """Balances by genre within the budget, splits validation by group, writes corpus/."""
    docs = [json.loads(l) for l in open(os.path.join(BUILD, "docs.jsonl"), encoding="utf-8")]
    tok = json.load(open(os.path.join(BUILD, "docs.tokens.json")))
    ids = open(os.path.join(BUILD, "docs.tokens.u16"), "rb").read()
    assert len(tok["lengths"]) == len(docs)
    offs = [0]
    for n in tok["lengths"]:
        offs.append(offs[-1] + n)
    for d, n, o in zip(docs, tok["lengths"], offs):
        d["tokens"], d["offset"] = n, o

    def h(s):
        return int(hashlib.sha1(s.encode()).hexdigest()[:8], 16)

    budget = args.budget_tokens
    caps = {g: float(c) for g, c in (x.split("=") for x in args.genre_caps.split(","))}
    source_caps = {s: float(c) for s, c in (x.split("=") for x in args.source_caps.split(","))} if args.source_caps else {}
    by_genre = defaultdict(list)
    for d in docs:
        by_genre[d["genre"]].append(d)
    # Each genre is cut to its cap (share of the budget); a cut keeps whole groups in hash order,
    # so a book is either in or out, and the kept ones are spread over the source.
    chosen = []
    for g in GENRES:
        items = by_genre.get(g, [])
        cap = caps.get(g, 1.0) * budget
        per_source = defaultdict(int)
        groups = defaultdict(list)
        for d in items:
            groups[d["group"]].append(d)
        total = 0
        for grp in sorted(groups, key=h):
            gt = sum(d["tokens"] for d in groups[grp])
            src = groups[grp][0]["source"]
            if total + gt > cap:
                continue
            if src in source_caps and per_source[src] + gt > source_caps[src] * budget:
                continue
            total += gt
            per_source[src] += gt
            chosen.extend(groups[grp])
    # Validation: whole groups, in hash order, until each genre has val_share of its tokens.
    val_groups = set()
    by_genre = defaultdict(list)
    for d in chosen:
        by_genre[d["genre"]].append(d)
    for g, items in by_genre.items():
        gtot = sum(d["tokens"] for d in items)
        groups = defaultdict(int)
        for d in items:
            groups[d["group"]] += d["tokens"]
        got = 0
        for grp in sorted(groups, key=lambda x: h("val" + x)):
            if got >= args.val_share * gtot:
                break
            if groups[grp] > 3 * args.val_share * gtot and got > 0:
                continue
            val_groups.add(grp)
            got += groups[grp]
    chosen.sort(key=lambda d: (d["group"] in val_groups, h(d["group"]), d["offset"]))

    os.makedirs(CORPUS, exist_ok=True)
    out = bytearray()
    table = []
    sources = sorted({d["source"] for d in chosen})
    for d in chosen:
        start = len(out) // 2
        out += b"\x00\x00"  # BOS (<|endoftext|>, id 0) before every document
        out += ids[2 * d["offset"]: 2 * (d["offset"] + d["tokens"])]
        table.append([start, d["tokens"] + 1, GENRES.index(d["genre"]), sources.index(d["source"]), int(d["group"] in val_groups)])
    raw_path = os.path.join(BUILD, "tokens.u16")
    with open(raw_path, "wb") as f:
        f.write(out)
    xz_path = os.path.join(CORPUS, "tokens.u16.xz")
    with open(xz_path, "wb") as f:
        f.write(lzma.compress(bytes(out), format=lzma.FORMAT_XZ, preset=9 | lzma.PRESET_EXTREME))
    with open(os.path.join(CORPUS, "index.json"), "w") as f:
        json.dump({"format": "tokens.u16.xz: uint16 little-endian token ids; each document is BOS (0) then its tokens. "
                             "docs: [start, length (BOS included), genre index, source index, 1 = validation]",
                   "genres": GENRES, "sources": sources, "docs": table}, f, separators=(",", ":"))

    def summary(key):
        agg = defaultdict(lambda: {"docs": 0, "words": 0, "tokens": 0, "train_tokens": 0, "val_tokens": 0})
        for d in chosen:
            a = agg[d[key]]
            a["docs"] += 1
            a["words"] += d["words"]
            a["tokens"] += d["tokens"] + 1
            a["val_tokens" if d["group"] in val_groups else "train_tokens"] += d["tokens"] + 1
        return dict(sorted(agg.items()))

    ext = json.load(open(os.path.join(BUILD, "extract.json")))
    total_tokens = len(out) // 2
    manifest = {
        "tokenizer": "inference-container/models/tinylm-en-v1/tokenizer.json",
        "tokenizer_sha256": tok["tokenizer_sha256"],
        "tokens": total_tokens,
        "words": sum(d["words"] for d in chosen),
        "docs": len(chosen),
        "val_tokens": sum(d["tokens"] + 1 for d in chosen if d["group"] in val_groups),
        "packed_bytes": os.path.getsize(xz_path),
        "raw_bytes": len(out),
        "budget_tokens": budget,
        "genre_caps": caps,
        "source_caps": source_caps,
        "by_genre": summary("genre"),
        "by_source": summary("source"),
        "licences": {s: LIC[s] for s in sources},
        "redistributable": {s: s in REDISTRIBUTABLE for s in sources},
        "snapshots": {"nltk/nltk_data": ext["nltk_data_commit"], "jhacksman/arxiv2025 (library/content/literature)": ext["gutenberg_commit"]},
        "cleaning": {k: v for k, v in ext.items() if k not in ("nltk_data_commit", "gutenberg_commit")},
        "not_used": "detect-v1 test and attacks, detect-v2, detect-v3, and the SOTU and SpamAssassin texts that pnpm train uses as outside human sources",
    }
    with open(os.path.join(CORPUS, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
    print(json.dumps({k: manifest[k] for k in ("tokens", "words", "docs", "val_tokens", "packed_bytes", "raw_bytes")}))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    e = sub.add_parser("extract")
    e.add_argument("--nltk-data", required=True, help="bare git dir of a nltk/nltk_data snapshot")
    e.add_argument("--gutenberg", required=True, help="bare git dir of the jhacksman/arxiv2025 snapshot (Project Gutenberg texts)")
    e.add_argument("--detect-v1-train", help="shared/data/detect-v1/train.jsonl: its human side goes to build/private-docs.jsonl (not committed)")
    p = sub.add_parser("pack")
    p.add_argument("--budget-tokens", type=int, default=11_500_000)
    p.add_argument("--genre-caps", default="fiction=0.34,news=0.12,essays=0.16,reviews=0.12,forum_web=0.08,letters_speeches=0.08,encyclopedic=0.14,documentation=0.05")
    p.add_argument("--source-caps", default="movie_reviews=0.06")
    p.add_argument("--val-share", type=float, default=0.02)
    args = ap.parse_args()
    {"extract": extract, "pack": pack}[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())
