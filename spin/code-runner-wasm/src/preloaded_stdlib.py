"""The standard-library modules a program may import.

componentize-py keeps only what was imported while it pre-initialized the component (a memory
snapshot); it ships no other stdlib files. So every module a program may use is imported here,
at build time. Network modules (socket, ssl, urllib, http) are left out on purpose: the app has
no network, and their absence makes that plain to a program that tries.
"""

import abc  # noqa: F401
import array  # noqa: F401
import ast  # noqa: F401
import base64  # noqa: F401
import binascii  # noqa: F401
import bisect  # noqa: F401
import calendar  # noqa: F401
import cmath  # noqa: F401
import collections
import collections.abc  # noqa: F401
import colorsys  # noqa: F401
import contextlib  # noqa: F401
import copy  # noqa: F401
import csv  # noqa: F401
import dataclasses  # noqa: F401
import datetime  # noqa: F401
import decimal  # noqa: F401
import difflib  # noqa: F401
import enum  # noqa: F401
import fractions  # noqa: F401
import functools  # noqa: F401
import graphlib  # noqa: F401
import hashlib  # noqa: F401
import heapq  # noqa: F401
import hmac  # noqa: F401
import html  # noqa: F401
import io  # noqa: F401
import itertools  # noqa: F401
import json  # noqa: F401
import keyword  # noqa: F401
import math  # noqa: F401
import numbers  # noqa: F401
import operator  # noqa: F401
import pprint  # noqa: F401
import random  # noqa: F401
import re  # noqa: F401
import secrets  # noqa: F401
import statistics  # noqa: F401
import string  # noqa: F401
import struct  # noqa: F401
import textwrap  # noqa: F401
import time  # noqa: F401
import types  # noqa: F401
import typing  # noqa: F401
import unicodedata  # noqa: F401
import uuid  # noqa: F401
import zlib  # noqa: F401
